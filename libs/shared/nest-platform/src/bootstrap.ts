import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { ServiceName } from '@triage/contracts';
import { describeConfig, loadConfig, type MeshConfig } from '@triage/config';
import { InProcessEventBus, KafkaEventBus, type EventBus } from '@triage/messaging';
import { createLogger, type Logger } from '@triage/observability';
import { MeshServer } from './mesh.server';
import { MeshPlatformModule } from './platform.module';
import { PinoNestLogger } from './pino-nest.logger';
import { requestLogMiddleware } from './request-log.middleware';
import { RuntimeInfo } from './runtime-info';

export interface FeatureContext {
  config: MeshConfig;
  logger: Logger;
}

export interface BootstrapOptions {
  /** The services this process runs; their handlers subscribe under their own consumer groups. */
  services: ServiceName[];
  /** The feature modules to mount (the service's own, or all five for the embedded mesh). */
  modules: (ctx: FeatureContext) => Array<Type | DynamicModule>;
  defaultPort: number;
  env?: NodeJS.ProcessEnv;
  /** Replaces the config-chosen bus (tests). */
  bus?: EventBus;
  /** Replaces the config-made logger (tests that read what was logged). */
  logger?: Logger;
}

export interface RunningMesh {
  app: INestApplication;
  config: MeshConfig;
  bus: EventBus;
  logger: Logger;
  url: string;
  close(): Promise<void>;
}

export function createBus(config: MeshConfig, logger: Logger): EventBus {
  if (config.MESH_MODE === 'embedded') return new InProcessEventBus(logger);
  return new KafkaEventBus({
    brokers: config.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean),
    clientId: config.KAFKA_CLIENT_ID,
    ssl: config.KAFKA_SSL,
    sasl:
      config.KAFKA_SASL_MECHANISM && config.KAFKA_SASL_USERNAME && config.KAFKA_SASL_PASSWORD
        ? { mechanism: config.KAFKA_SASL_MECHANISM, username: config.KAFKA_SASL_USERNAME, password: config.KAFKA_SASL_PASSWORD }
        : undefined,
    logger: logger.child({ component: 'kafka' }),
  });
}

/**
 * Starts a process of the mesh: validated config, JSON logger, the event bus chosen by MESH_MODE, the
 * platform module, the given feature modules, the Nest microservice transport and the HTTP server.
 */
export async function bootstrapMesh(opts: BootstrapOptions): Promise<RunningMesh> {
  const config = loadConfig(opts.env ?? process.env);
  const logger = opts.logger ?? createLogger({ service: opts.services.length === 1 ? opts.services[0] : 'mesh', level: config.LOG_LEVEL });
  logger.info({ config: describeConfig(config), services: opts.services }, 'starting');
  const bus = opts.bus ?? createBus(config, logger);
  await bus.connect();
  const runtime = new RuntimeInfo();

  @Module({
    imports: [MeshPlatformModule.forRoot({ services: opts.services, config, bus, logger, runtime }), ...opts.modules({ config, logger })],
  })
  class RootModule {}

  const app = await NestFactory.create(RootModule, { logger: new PinoNestLogger(logger), abortOnError: false });
  app.use(requestLogMiddleware(logger));
  app.connectMicroservice(
    {
      strategy: new MeshServer({
        bus,
        logger,
        retry: { maxAttempts: config.CONSUMER_MAX_ATTEMPTS, baseDelayMs: config.CONSUMER_RETRY_BASE_MS },
        groupPrefix: config.KAFKA_GROUP_PREFIX,
        concurrency: 3,
      }),
    },
    { inheritAppConfig: true },
  );
  await app.listen(config.HTTP_PORT ?? opts.defaultPort, config.HTTP_HOST);
  const address = app.getHttpServer().address() as { port: number };
  runtime.httpUrl = `http://${config.HTTP_HOST}:${address.port}`;
  await app.startAllMicroservices();
  logger.info({ url: runtime.httpUrl }, 'ready');
  return {
    app,
    config,
    bus,
    logger,
    url: runtime.httpUrl,
    close: async () => {
      await app.close();
      await bus.disconnect();
    },
  };
}

/** Entry point of a service process: starts it, or prints why it could not start and exits non-zero. */
export function runService(opts: BootstrapOptions): Promise<RunningMesh | undefined> {
  return bootstrapMesh(opts).then(exitOnSignal, (err: unknown) => {
    // Config errors list every problem; anything else is reported by name and message only (no payloads).
    const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'start-up failed', reason: text })}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
    return undefined;
  });
}

/**
 * SIGTERM/SIGINT: stop consuming, finish in-flight handlers, close HTTP and the bus, then exit 0, so an
 * orchestrator sees a clean stop. A second signal, or a close that takes over 25 s, exits at once.
 */
function exitOnSignal(mesh: RunningMesh): RunningMesh {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    mesh.logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 25_000);
    force.unref();
    mesh.close().then(
      () => process.exit(0),
      (err: unknown) => {
        mesh.logger.error({ reason: err instanceof Error ? err.message : String(err) }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return mesh;
}
