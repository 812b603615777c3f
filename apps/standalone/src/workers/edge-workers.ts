/**
 * The primary's side of standalone's edge workers (standalone.workers ≥ 2): starts N worker
 * threads (edge-worker.main.ts), each an edge with its own id on a PortBus to this thread's
 * in-process bus; the first binds the configured ports (0 = free ones) and the others join the
 * same ports with SO_REUSEPORT. /healthz/ready lists every worker; /metrics adds each worker's
 * series with its `worker` label. On shutdown every worker drains at once (before router and
 * presence stop, so the sessions' last stanzas and ENDED still go through); SIGHUP is passed on to
 * every worker (certificate reload). A worker that dies is
 * replaced under a new edge id after `standalone.workerRestartDelayMs`: its sessions end (or wait
 * for resumption) through the routers' dead-edge sweep, as an edge process's would.
 */
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MessageChannel, Worker } from 'node:worker_threads';
import { BUS, PortBusHost, type Bus } from '#libs/bus';
import { CONFIG, instanceId, type GliderConfig } from '#libs/config';
import { HEALTH, LOGGER, addMetricsSource, type HealthRegistry, type LabelledMetrics, type Logger } from '#libs/telemetry';
import { EDGE_WORKER_COUNT } from './edge-workers.tokens.js';
import type { BoundPorts, EdgeWorkerData, FromEdgeWorker, ToEdgeWorker } from './worker-protocol.js';

const WORKER_MAIN = new URL('./edge-worker.main.js', import.meta.url);

interface Slot {
  index: number;
  generation: number;
  worker?: Worker;
  host?: PortBusHost;
  ready: boolean;
  exited?: Promise<void>;
}

@Injectable()
export class EdgeWorkers implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, (m: FromEdgeWorker) => void>();
  private nextCall = 1;
  private ports: BoundPorts | undefined;
  private stopping = false;
  private removeMetrics: (() => void) | undefined;
  private readonly baseId: string;

  constructor(
    @Inject(CONFIG) private readonly config: GliderConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(BUS) private readonly bus: Bus,
    @Inject(EDGE_WORKER_COUNT) private readonly count: number,
  ) {
    this.baseId = instanceId(config.edge.id, 'edge');
  }

  async onApplicationBootstrap(): Promise<void> {
    for (let i = 1; i <= this.count; i++) {
      const slot: Slot = { index: i, generation: 0, ready: false };
      this.slots.push(slot);
      this.health.register(`edge-worker-${i}`, () => this.workerHealth(slot));
      // one at a time: the first binds the ports (and makes the self-signed certificate), the rest join
      await this.start(slot);
    }
    this.removeMetrics = addMetricsSource(() => this.workerMetrics());
    process.on('SIGHUP', this.onSighup);
    this.logger.info({ workers: this.count, ports: this.ports }, 'edge workers listening');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.removeMetrics?.();
    process.off('SIGHUP', this.onSighup);
    await Promise.all(
      this.slots.map((s) => {
        s.worker?.postMessage({ t: 'stop' } satisfies ToEdgeWorker);
        return s.exited ?? Promise.resolve();
      }),
    );
  }

  /** SIGHUP (reload the TLS certificate) reaches only this thread: pass it to every worker's edge. */
  private readonly onSighup = (): void => {
    for (const s of this.slots) if (s.ready) s.worker?.postMessage({ t: 'sighup' } satisfies ToEdgeWorker);
  };

  private start(slot: Slot): Promise<void> {
    slot.generation++;
    const { port1, port2 } = new MessageChannel();
    const host = new PortBusHost(this.bus, port1, this.logger.child({ component: 'bus', worker: slot.index }));
    const edgeId = `${this.baseId}-w${slot.index}${slot.generation > 1 ? `g${slot.generation}` : ''}`;
    const data: EdgeWorkerData = { index: slot.index, overrides: this.overrides(edgeId), busPort: port2 };
    const worker = new Worker(WORKER_MAIN, { workerData: data, transferList: [port2], name: `edge-${slot.index}` });
    slot.worker = worker;
    slot.host = host;
    slot.ready = false;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`edge worker ${slot.index} did not start within ${this.config.standalone.workerStartTimeoutMs} ms`));
        void worker.terminate();
      }, this.config.standalone.workerStartTimeoutMs);
      worker.on('message', (m: FromEdgeWorker) => {
        if (m.t === 'ready') {
          clearTimeout(timer);
          this.ports ??= m.ports;
          slot.ready = true;
          resolve();
        } else if (m.t === 'failed') {
          clearTimeout(timer);
          this.logger.error({ worker: slot.index, error: m.error }, 'edge worker failed to start');
          reject(new Error(`edge worker ${slot.index} failed to start: ${m.error.split('\n')[0]}`));
        } else {
          this.calls.get(m.c)?.(m);
          this.calls.delete(m.c);
        }
      });
      worker.on('error', (err) => this.logger.error({ err, worker: slot.index }, 'edge worker threw'));
      slot.exited = new Promise<void>((done) =>
        worker.once('exit', (code) => {
          clearTimeout(timer);
          slot.ready = false;
          void host.detach();
          done();
          if (this.stopping || slot.worker !== worker) return;
          this.logger.error({ worker: slot.index, code, edgeId }, 'edge worker ended; replacing it');
          reject(new Error(`edge worker ${slot.index} exited (${code}) while starting`));
          setTimeout(() => {
            if (!this.stopping) this.start(slot).catch((err: unknown) => this.logger.error({ err, worker: slot.index }, 'edge worker restart failed'));
          }, this.config.standalone.workerRestartDelayMs).unref();
        }),
      );
    });
  }

  /** The worker's config: its own edge id, SO_REUSEPORT, and the ports the first worker bound. */
  private overrides(edgeId: string): Record<string, unknown> {
    const p = this.ports;
    const edge: Record<string, unknown> = { id: edgeId, reusePort: true };
    const s2s: Record<string, unknown> = {};
    if (p) {
      Object.assign(edge, { c2sPort: p.c2sPort, directTlsPort: p.directTlsPort, wssPort: p.wssPort });
      if (p.wsPort !== undefined) edge.wsPort = p.wsPort;
      if (p.s2sPort) s2s.port = p.s2sPort;
      if (p.s2sDirectTlsPort) s2s.directTlsPort = p.s2sDirectTlsPort;
    }
    return { edge, s2s };
  }

  private ask<T extends FromEdgeWorker>(slot: Slot, make: (c: number) => ToEdgeWorker, fallback: T): Promise<T> {
    const worker = slot.worker;
    if (!worker || !slot.ready) return Promise.resolve(fallback);
    const c = this.nextCall++;
    return new Promise<T>((resolve) => {
      const timer = setTimeout(() => {
        this.calls.delete(c);
        resolve(fallback);
      }, this.config.bus.requestTimeoutMs);
      this.calls.set(c, (m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      worker.postMessage(make(c));
    });
  }

  private async workerHealth(slot: Slot): Promise<string | undefined> {
    if (!slot.ready) return this.stopping ? 'stopping' : 'not running';
    const r = await this.ask(slot, (c) => ({ t: 'health', c }), { t: 'health', c: 0, ready: false, checks: { answer: 'no answer' } });
    if (r.ready) return undefined;
    return Object.entries(r.checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ');
  }

  private async workerMetrics(): Promise<LabelledMetrics[]> {
    const answers = await Promise.all(this.slots.map((s) => this.ask(s, (c) => ({ t: 'metrics', c }), { t: 'metrics', c: 0, text: '' })));
    return answers.map((a, i) => ({ worker: String(this.slots[i]!.index), text: a.text }));
  }
}
