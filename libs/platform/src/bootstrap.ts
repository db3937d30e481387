import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { JsonLogger } from '@app/observability';
import { PlatformConfig } from './config';
import { closeConnectionsWhenDraining } from './http-drain';
import { AllExceptionsFilter, createValidationPipe } from './http-errors';
import { correlationMiddleware, httpMetricsMiddleware, rejectNulCharacters } from './middleware';
import { LOGGER, PLATFORM_CONFIG } from './tokens';

export interface ServiceAppOptions {
  title: string;
  description: string;
  /** Extra body parsers (e.g. Open311's form posts). */
  urlencoded?: boolean;
  /** Adjusts the OpenAPI document before it is served. */
  decorateDocument?: (doc: DocumentBuilder) => DocumentBuilder;
  /** Port override (tests pass 0 for a free port). */
  port?: number;
}

/**
 * Builds a service's HTTP app the same way everywhere: JSON logs, helmet, body limits, CORS closed
 * unless configured, validation naming each field, errors as JSON with a stable code,
 * correlation ids, request metrics, OpenAPI at /openapi.json and Swagger UI at /docs.
 */
export async function createServiceApp(
  module: Type<unknown>,
  options: ServiceAppOptions,
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    bodyParser: false,
  });
  const logger = app.get<JsonLogger>(LOGGER);
  const config = app.get<PlatformConfig>(PLATFORM_CONFIG);
  app.useLogger(logger);
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(closeConnectionsWhenDraining(app.getHttpServer() as Server));
  app.use(correlationMiddleware, httpMetricsMiddleware);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          // Swagger UI at /docs needs its inline bootstrap; every other page is served without inline script.
          scriptSrc: ["'self'", "'unsafe-inline'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
        },
      },
    }),
  );
  app.useBodyParser('json', { limit: config.bodyLimit });
  if (options.urlencoded) app.useBodyParser('urlencoded', { limit: config.bodyLimit, extended: true });
  app.use(rejectNulCharacters);
  if (config.corsOrigins.length) app.enableCors({ origin: config.corsOrigins, credentials: false });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter(logger));
  app.enableShutdownHooks();

  let builder = new DocumentBuilder()
    .setTitle(options.title)
    .setDescription(options.description)
    .setVersion('1.0.0')
    .addServer(config.publicUrl);
  if (options.decorateDocument) builder = options.decorateDocument(builder);
  const document: OpenAPIObject = SwaggerModule.createDocument(app, builder.build());
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });

  answerClientErrorsAsJson(app.getHttpServer() as Server);
  await app.listen(options.port ?? config.port, process.env.HOST ?? '0.0.0.0');
  logger.info(`${config.service} listening on ${await app.getUrl()}`);
  return app;
}

/**
 * Requests Node's HTTP parser refuses (a malformed header, an oversized head) never reach Express;
 * Node's default answer is a bare 400 with no body. Answer them like every other error instead:
 * JSON with a stable code, then close the connection.
 */
export function answerClientErrorsAsJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    // As Node does: answer only when no response is in flight on this socket, or none of it was sent.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason, code] =
      err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE']
        : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'REQUEST_TIMEOUT']
          : [400, 'Bad Request', 'MALFORMED_REQUEST'];
    const body = JSON.stringify({ code, message: `The HTTP request could not be parsed (${reason})` });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
