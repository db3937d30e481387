import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { JsonLogger } from '@app/observability';
import { PlatformConfig } from './config';
import { AllExceptionsFilter, createValidationPipe } from './http-errors';
import { correlationMiddleware, httpMetricsMiddleware } from './middleware';
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

  await app.listen(options.port ?? config.port, process.env.HOST ?? '0.0.0.0');
  logger.info(`${config.service} listening on ${await app.getUrl()}`);
  return app;
}
