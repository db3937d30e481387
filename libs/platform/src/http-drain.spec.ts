import { Agent, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { closeConnectionsWhenDraining, HttpDrain } from './http-drain';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Requests being answered now. */
let inFlight = 0;

/** Answers after 100 ms: the connections are busy most of the time, as under load. */
@Controller()
class PingController {
  @Get('ping')
  async ping(): Promise<{ ok: boolean }> {
    inFlight++;
    await sleep(100);
    inFlight--;
    return { ok: true };
  }
}

@Module({ controllers: [PingController], providers: [HttpDrain] })
class DrainingModule {}

@Module({ controllers: [PingController] })
class PlainModule {}

/** GET /ping on a keep-alive agent: the answer's Connection header. */
function ping(agent: Agent, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/ping', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers.connection ?? '')));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Closes the app while four clients send request after request on keep-alive connections (a
 * partner system working through its backlog), with a request on each connection at that moment:
 * how long `close()` took (undefined: not within 3 s) and the Connection headers answered.
 */
async function closeUnderLoad(app: INestApplication): Promise<{ tookMs?: number; answers: string[] }> {
  app.use(closeConnectionsWhenDraining(app.getHttpServer() as Server));
  await app.listen(0, '127.0.0.1');
  const port = ((app.getHttpServer() as Server).address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const answers: string[] = [];
  let running = true;
  const client = async () => {
    while (running) {
      try {
        answers.push(await ping(agent, port));
      } catch {
        await sleep(5); // refused once the server has closed
      }
    }
  };
  const clients = [client(), client(), client(), client()];
  // Close while every connection carries a request (none idle for close() to end at once).
  while (inFlight < 4) await sleep(5);
  const t0 = Date.now();
  const closed = app.close().then(() => Date.now() - t0);
  const tookMs = await Promise.race([closed, sleep(3000).then(() => undefined)]);
  running = false;
  await Promise.all(clients);
  agent.destroy();
  await closed;
  return { tookMs, answers };
}

describe('HttpDrain', () => {
  jest.setTimeout(20_000);

  it('lets the server close while clients keep their keep-alive connections busy', async () => {
    const app = await NestFactory.create(DrainingModule, { logger: false });
    const { tookMs, answers } = await closeUnderLoad(app);
    expect(tookMs).toBeDefined();
    expect(answers.filter((c) => c === 'keep-alive').length).toBeGreaterThan(0);
  });

  it('is needed: without it the server stays open as long as the clients keep sending', async () => {
    const app = await NestFactory.create(PlainModule, { logger: false });
    const { tookMs, answers } = await closeUnderLoad(app);
    expect(tookMs).toBeUndefined();
    expect(answers).not.toContain('close');
  });
});
