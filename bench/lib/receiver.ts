import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

export interface WebhookArrival {
  at: number;
  path: string;
  body: Record<string, unknown>;
}

/**
 * The units' systems: a local HTTP server that takes every webhook, records when it arrived and
 * answers 200 at once (signatures are not checked: the bench measures delivery, not partners).
 */
export class WebhookReceiver {
  private server?: Server;
  port = 0;
  received = 0;

  constructor(private readonly onArrival: (a: WebhookArrival) => void) {}

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const at = Date.now();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        this.received++;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          this.onArrival({ at, path: req.url ?? '/', body });
        } catch {
          // not JSON: counted, not tracked
        }
      });
    });
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  url(path = ''): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}
