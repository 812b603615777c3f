import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ShutdownSignal, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { loadConfigOrExit, type GliderConfig } from '#libs/config';
import { HEALTH, rootLogger, type HealthRegistry } from '#libs/telemetry';
import { listenPorts, listenProblems } from './listen-ports.js';

/**
 * Boots an app module: validates config first (a bad value exits with the key named, before
 * anything listens), checks that every port it will listen on can be bound (a busy port exits
 * with the key and env variable named, before storage is opened or a file written), then starts
 * Nest with shutdown hooks. `grpc` turns the app into a gRPC microservice (the admin API) as well.
 */
export async function runApp(
  module: Type<unknown> | DynamicModule,
  opts: { role: string; grpc?: (config: GliderConfig) => MicroserviceOptions },
): Promise<INestApplicationContext> {
  const config = loadConfigOrExit(opts.role);
  const portProblems = await listenProblems(listenPorts(opts.role, config, { admin: opts.grpc !== undefined }));
  if (portProblems.length > 0) {
    process.stderr.write(portProblems.map((p) => `glider-${opts.role}: ${p}\n`).join('') + `glider-${opts.role}: not started; nothing was opened or written\n`);
    process.exit(78);
  }
  const logger = rootLogger(config.log.level, `glider-${opts.role}`);
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const nestLogger = {
    log: (m: unknown) => logger.debug({ nest: true }, String(m)),
    error: (m: unknown, trace?: string) => logger.error({ nest: true, trace }, String(m)),
    warn: (m: unknown) => logger.warn({ nest: true }, String(m)),
    debug: (m: unknown) => logger.trace({ nest: true }, String(m)),
    verbose: (m: unknown) => logger.trace({ nest: true }, String(m)),
  };
  const app = opts.grpc
    ? await NestFactory.createMicroservice<MicroserviceOptions>(module, { ...opts.grpc(config), logger: nestLogger })
    : await NestFactory.createApplicationContext(module, { logger: nestLogger });
  // Every signal Nest knows shuts down, except SIGHUP: an edge reloads its certificate on it
  // (docs/observability.md). Nest's default list has SIGHUP too, which made a reload end the process.
  // A process where nothing else listens for SIGHUP still shuts down on it, as before.
  app.enableShutdownHooks(Object.values(ShutdownSignal).filter((s) => s !== ShutdownSignal.SIGHUP));
  const onSighup = (): void => {
    if (process.listenerCount('SIGHUP') > 1) return;
    process.off('SIGHUP', onSighup);
    void app.close().then(() => process.kill(process.pid, 'SIGHUP'));
  };
  process.on('SIGHUP', onSighup);
  if ('listen' in app && typeof (app as { listen?: unknown }).listen === 'function') {
    await (app as unknown as { listen(): Promise<void> }).listen();
  } else {
    await app.init();
  }
  app.get<HealthRegistry>(HEALTH).markStarted();
  logger.info({ role: opts.role, domains: config.domains }, 'started');
  return app;
}
