/**
 * An edge worker thread of `standalone` (standalone.workers ≥ 2): the edge app alone, on a PortBus
 * to the primary's in-process bus, with its own connection to the embedded database (SQLite in WAL
 * mode serialises writers across connections; the edge writes rarely: FAST tokens, invites,
 * directory accounts). Its listeners share the ports with the other workers (SO_REUSEPORT). The
 * primary sends `stop` on SIGTERM: the edge drains (edge.drainTimeoutMs) and the thread ends.
 */
import 'reflect-metadata';
import { Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { parentPort, workerData } from 'node:worker_threads';
import { PortBus } from '#libs/bus';
import { CoreModule } from '#libs/runtime';
import { HEALTH, metricsText, rootLogger, startTelemetry, type HealthRegistry } from '#libs/telemetry';
import { EdgeModule, EdgeService } from '../../../edge/src/index.js';
import type { EdgeWorkerData, FromEdgeWorker, ToEdgeWorker } from './worker-protocol.js';

const data = workerData as EdgeWorkerData;
const port = parentPort!;
const send = (m: FromEdgeWorker): void => port.postMessage(m);

@Module({})
class EdgeWorkerModule {
  static forRoot(): DynamicModule {
    return {
      module: EdgeWorkerModule,
      imports: [CoreModule.forRoot({ role: 'edge', overrides: data.overrides, bus: () => new PortBus(data.busPort), http: false }), EdgeModule],
    };
  }
}

try {
  await startTelemetry('standalone');
  const logger = rootLogger('warn', `glider-standalone-edge-${data.index}`);
  // as runApp does for the main thread: logged, not fatal (a worker's default would end the thread)
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  const app = await NestFactory.createApplicationContext(EdgeWorkerModule.forRoot(), {
    logger: {
      log: () => undefined,
      error: (m: unknown, trace?: string) => logger.error({ nest: true, trace }, String(m)),
      warn: (m: unknown) => logger.warn({ nest: true }, String(m)),
    },
  });
  await app.init();
  const health = app.get<HealthRegistry>(HEALTH);
  health.markStarted();
  const server = app.get(EdgeService).server;
  const { c2s, directTls, wss, ws } = server.ports;
  send({
    t: 'ready',
    ports: { c2sPort: c2s, directTlsPort: directTls, wssPort: wss, wsPort: ws, s2sPort: server.s2s?.ports.s2s, s2sDirectTlsPort: server.s2s?.ports.directTls },
  });
  let stopping: Promise<void> | undefined;
  port.on('message', (m: ToEdgeWorker) => {
    switch (m.t) {
      case 'stop':
        // Nest's shutdown hooks: EdgeService drains, then the bus port and the database close.
        stopping ??= app.close().finally(() => port.close());
        return;
      case 'sighup':
        // the edge listens for SIGHUP on `process`, which in a worker is the thread's own emitter
        process.emit('SIGHUP', 'SIGHUP');
        return;
      case 'health':
        void health.readiness().then((r) => send({ t: 'health', c: m.c, ready: r.ready, checks: r.checks }));
        return;
      case 'metrics':
        void metricsText().then(
          (text) => send({ t: 'metrics', c: m.c, text }),
          () => send({ t: 'metrics', c: m.c, text: '' }),
        );
        return;
    }
  });
} catch (err) {
  send({ t: 'failed', error: (err as Error)?.stack ?? String(err) });
  port.close();
}
