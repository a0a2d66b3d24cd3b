import { VersioningType, type DynamicModule, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';

import {
  LifecycleService,
  MetricsService,
  PinoNestLogger,
  accessLog,
  answerClientErrors,
  connectionCloseWhile,
  corsOptions,
  createHttpAdapter,
  createOpenApiDocument,
  createRootLogger,
  jsonBodyParsers,
  operationalRoutesOnly,
  readEnvironment,
  securityHeaders,
  weakEtag,
  type LoadedConfig,
  type RawEnvironment,
} from '@app/core';

import { AppModule } from './app.module';
import { loadAppConfig } from './config';
import { MIGRATIONS } from './database/migrations';

export interface CreateAppOptions {
  /** Already validated configuration (main.ts); otherwise read from the environment. */
  readonly config?: LoadedConfig;
  /** Variables that override the environment (tests). */
  readonly env?: RawEnvironment;
  /** Log destination instead of stdout (tests). */
  readonly logDestination?: DestinationStream;
  /** Modules mounted next to the domain modules (test probes only). */
  readonly extraImports?: ReadonlyArray<Type | DynamicModule>;
}

/** Business routes live under /api/v1; these stay at the root, unversioned. */
const OPERATIONAL_ROUTES = ['health', 'ready', 'metrics'];

/**
 * createApp(): the one place the Nest application is configured. main.ts serves what it
 * returns; the e2e suites drive the very same pipeline through supertest.
 * Order matters: request id and access log first, so every response (errors included)
 * carries the id and security headers.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const config = options.config ?? loadAppConfig(readEnvironment(options.env));
  const rootLogger = createRootLogger(config, options.logDestination);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, migrations: MIGRATIONS, rootLogger }, options.extraImports),
    createHttpAdapter(config.http),
    { logger: new PinoNestLogger(rootLogger), bodyParser: false, abortOnError: false },
  );

  const lifecycle = app.get(LifecycleService);
  app.disable('x-powered-by');
  app.set('trust proxy', config.http.trustProxy);
  app.set('etag', weakEtag);
  app.use(accessLog(rootLogger));
  app.use(app.get(MetricsService).httpMiddleware());
  app.use(securityHeaders());
  app.enableCors(corsOptions(config.http.corsOrigins));
  app.use(connectionCloseWhile(() => lifecycle.isShuttingDown));
  if (!config.app.servesApi) {
    app.use(operationalRoutesOnly(OPERATIONAL_ROUTES));
  }
  app.use(...jsonBodyParsers(config.http.bodyLimitBytes, config.http.jsonMaxDepth));

  app.setGlobalPrefix('api', { exclude: OPERATIONAL_ROUTES });
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });

  if (config.docs.enabled && config.app.servesApi) {
    SwaggerModule.setup('docs', app, () => createOpenApiDocument(app), {
      jsonDocumentUrl: 'docs-json',
    });
  }

  // The server was created with the timeouts (createHttpAdapter); parser errors answer here.
  answerClientErrors(app.getHttpServer(), {
    logger: rootLogger,
    problemTypeBaseUri: config.problemTypeBaseUri,
  });

  await app.init();
  return app;
}
