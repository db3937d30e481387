import type { Server } from 'node:http';
import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';

const draining = new WeakSet<Server>();

/**
 * While `server` drains, every answer says `Connection: close`, so the client's keep-alive
 * connection ends with the request it carried (see HttpDrain).
 */
export function closeConnectionsWhenDraining(server: Server) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    if (draining.has(server)) res.setHeader('Connection', 'close');
    next();
  };
}

/**
 * Lets the HTTP server close on shutdown while clients keep their keep-alive connections busy.
 * Nest closes the server after the `beforeApplicationShutdown` hooks and waits for it before the
 * shutdown hooks (consumers, relay, pools). Node's `close()` refuses new connections and closes the
 * idle ones once, but a client working through a backlog (a partner system accepting tasks) sends
 * its next request on the same connection as soon as an answer arrives, so its connections never
 * stay idle and the server never closes: dispatch under partner load was still open 10 s after
 * SIGTERM and was killed. From this hook on, answers end their connection
 * (`closeConnectionsWhenDraining`) and connections that fall idle are closed; requests in flight
 * finish normally.
 */
@Injectable()
export class HttpDrain implements BeforeApplicationShutdown {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  beforeApplicationShutdown(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server || draining.has(server)) return;
    draining.add(server);
    server.closeIdleConnections();
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.once('close', () => clearInterval(sweep));
  }
}
