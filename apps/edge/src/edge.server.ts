import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { buckets, decodeFrame, encodeFrame, keys, subjects, type Bus, type BusSubscription, type EdgeControl, type KvBucket } from '#libs/bus';
import { instanceId, type GliderConfig } from '#libs/config';
import { Directories } from '#libs/directory';
import type { SessionRegistry } from '#libs/sessions';
import type { Storage } from '#libs/storage';
import type { HealthRegistry, Logger } from '#libs/telemetry';
import { loadOrCreateCertificate, readPair, serverTlsPolicy, watchCertificate, type CertificateWatch, type LoadedCertificate } from '#libs/tls';
import { Hooks, loadFeatures, type LoadedFeatures } from '#libs/xmpp-kit';
import type { EdgeContext } from './edge.context.js';
import type { EdgeHooks } from './edge.hooks.js';
import { registerEdgeMetrics } from './edge.metrics.js';
import { edgeFeatures } from './features/index.js';
import { AuthThrottle } from './limits/auth-throttle.js';
import { FailedLoginLog } from './limits/failed-login-log.js';
import { ConnectionCounter } from './limits/connection-counter.js';
import { Listeners, type ListenerPorts } from './listeners/listeners.js';
import { deliverer } from './routing/delivery.js';
import { EdgeLiveness } from './routing/liveness.js';
import { S2sServer } from './s2s/s2s.server.js';
import { C2sStream } from './stream/c2s-stream.machine.js';
import type { StreamErrorCondition } from './stream/stream-state.js';
import type { Transport } from './transport/transport.js';

export interface EdgeDeps {
  config: GliderConfig;
  logger: Logger;
  bus: Bus;
  storage: Storage;
  registry: SessionRegistry;
  health?: HealthRegistry;
  /** After a DRAIN command: exit the process (own app) or only stop listening (standalone). */
  onDrained?: () => void;
  /** Tests: observe back-off waits. */
  delay?: (ms: number, why?: 'answer' | 'gate') => Promise<void>;
}

/**
 * One edge instance without the framework: certificate, listeners, streams, the bus subscriptions
 * for delivery and control, the heartbeat and load report, certificate reload and draining.
 */
export class EdgeServer {
  readonly edgeId: string;
  readonly ctx: EdgeContext;
  readonly streams = new Set<C2sStream>();
  private readonly listeners: Listeners;
  private readonly counter: ConnectionCounter;
  private readonly subs: BusSubscription[] = [];
  private features: LoadedFeatures | undefined;
  private cert: LoadedCertificate | undefined;
  private secure: SecureContext | undefined;
  private watch: CertificateWatch | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private kv: KvBucket | undefined;
  private liveness: EdgeLiveness | undefined;
  private offReconnect: (() => void) | undefined;
  private draining: Promise<void> | undefined;
  private lastStanzas = 0;
  private lastReportAt = Date.now();
  private readonly onSighup = (): void => void this.reloadCertificate();
  private unregisterMetrics: (() => void) | undefined;
  private unregisterDirectoryHealth: (() => void) | undefined;
  private readonly directories: Directories;
  /** Federation (s2s.enabled): inbound listeners and this edge's share of outbound domains. */
  s2s: S2sServer | undefined;

  constructor(private readonly deps: EdgeDeps) {
    const { config, logger } = deps;
    this.edgeId = instanceId(config.edge.id, 'edge');
    const log = logger.child({ component: 'edge', edgeId: this.edgeId });
    this.counter = new ConnectionCounter(config.edge.limits.maxConnectionsPerIp);
    const directories = (this.directories = new Directories(config, deps.storage, log));
    this.ctx = {
      config,
      edgeId: this.edgeId,
      logger: log,
      hooks: new Hooks<EdgeHooks>(log),
      bus: deps.bus,
      registry: deps.registry,
      storage: deps.storage,
      sessions: new Map(),
      throttle: new AuthThrottle({
        baseMs: config.edge.authFailureDelayMs,
        maxMs: config.edge.authFailureDelayMaxMs,
        forgetAfterMs: config.edge.authFailures.forgetAfterMs,
        lockoutAfter: config.edge.authFailures.lockoutAfter,
        lockoutMs: config.edge.authFailures.lockoutMs,
        maxEntries: config.edge.authFailures.maxTracked,
      }),
      passwords: (domain) => directories.passwords(domain),
      tokens: (domain) => directories.tokens(domain),
      failedLogins: new FailedLoginLog(log, { maxLines: config.edge.authFailures.logLinesPerInterval, intervalMs: config.edge.authFailures.logIntervalMs }),
      secureContext: () => this.secure!,
      delay: deps.delay ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms).unref())),
      pending: new Set(),
      stats: { stanzasIn: 0, stanzasOut: 0, authFailures: 0 },
      stalled: () => this.liveness?.stalled(),
    };
    this.listeners = new Listeners(config, log, (t) => this.accept(t));
  }

  get ports(): ListenerPorts {
    return this.listeners.ports;
  }

  get certificate(): LoadedCertificate | undefined {
    return this.cert;
  }

  async start(): Promise<void> {
    const { config, bus } = this.deps;
    this.cert = await loadOrCreateCertificate(config, this.ctx.logger);
    this.secure = createSecureContext(this.tlsOptions(this.cert));
    this.features = await loadFeatures(this.ctx, edgeFeatures, config.features);
    this.subs.push(bus.subscribe(subjects.edgeDeliver(this.edgeId), deliverer(this.ctx)));
    this.subs.push(bus.subscribe(subjects.edgeControl(this.edgeId), (msg) => this.control(decodeFrame(msg.data).control)));
    this.kv = await bus.kv(buckets.edges, { ttlMs: 3 * config.bus.heartbeatMs });
    this.liveness = new EdgeLiveness(this.ctx, this.kv);
    this.liveness.start();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), config.bus.heartbeatMs);
    // Back from a bus outage: heartbeat at once (routers hold their sweep off only bus.outageGraceMs).
    this.offReconnect = bus.onReconnect(() => void this.beat(true));
    this.heartbeat.unref();
    await this.listeners.start(this.tlsOptions(this.cert));
    if (config.s2s.enabled) {
      this.s2s = new S2sServer({ config, logger: this.ctx.logger, bus, edgeId: this.edgeId, secureContext: () => this.secure! });
      await this.s2s.start(this.tlsOptions(this.cert));
    }
    if (config.tls.watch) {
      this.watch = watchCertificate(this.cert, (pair) => this.applyCertificate(pair), {
        onError: (err) => this.ctx.logger.warn({ err: err.message }, 'certificate watch problem'),
      });
    }
    process.on('SIGHUP', this.onSighup);
    this.deps.health?.register('edge', () => (this.draining ? 'draining' : undefined));
    if (this.directories.size > 0) {
      // Shown, not critical: local-account domains and existing sessions are fine (docs/directory.md).
      this.unregisterDirectoryHealth = this.deps.health?.register('directory', () => directoryProblem(this.directories), { critical: false });
    }
    this.unregisterMetrics = registerEdgeMetrics(this);
  }

  /** SIGHUP or a file change: re-read the files; new handshakes use them, open connections stay. */
  async reloadCertificate(): Promise<void> {
    if (!this.cert) return;
    try {
      this.applyCertificate(await readPair(this.cert));
    } catch (err) {
      this.ctx.logger.error({ err: (err as Error).message }, 'certificate reload failed; keeping the current one');
    }
  }

  private applyCertificate(pair: { key: string; cert: string }): void {
    const next = { ...this.cert!, ...pair };
    const opts = this.tlsOptions(next);
    const context = createSecureContext(opts); // throws on a bad pair before anything changes
    this.listeners.setSecureContext(opts);
    this.s2s?.setSecureContext(opts);
    this.secure = context;
    this.cert = next;
    this.ctx.logger.info({ certFile: next.certFile }, 'TLS certificate reloaded');
  }

  private tlsOptions(cert: { key: string; cert: string }): SecureContextOptions {
    return { key: cert.key, cert: cert.cert, minVersion: this.deps.config.tls.minVersion, ...serverTlsPolicy(this.deps.config.tls.ciphers) };
  }

  private accept(transport: Transport): void {
    const ip = transport.remoteAddress;
    const stream = new C2sStream(this.ctx, transport);
    if (this.draining) return stream.error('system-shutdown', 'this server is shutting down');
    if (!this.counter.acquire(ip)) return stream.error('policy-violation', 'too many connections from your address');
    this.streams.add(stream);
    stream.onClosed(() => {
      this.streams.delete(stream);
      this.counter.release(ip);
    });
  }

  private control(cmd: EdgeControl | undefined): void {
    if (!cmd) return;
    if (cmd.kind === 'CLOSE_SESSION') {
      const stream = this.ctx.sessions.get(cmd.sessionId ?? '');
      stream?.error((cmd.condition || 'conflict') as StreamErrorCondition, cmd.text || undefined);
    } else if (cmd.kind === 'DRAIN') {
      void this.drain().then(() => this.deps.onDrained?.());
    }
  }

  /**
   * Operator scale-down or SIGTERM: unready first, stop accepting, give clients drainTimeoutMs to
   * leave, then <system-shutdown/> to the rest.
   */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      await Promise.resolve(); // this.draining is set before anything below looks at it
      const { config } = this.deps;
      this.deps.health?.setDraining(true);
      this.ctx.logger.info({ connections: this.streams.size }, 'draining');
      this.listeners.stopAccepting();
      void this.report();
      // XEP-0198: a resumable session is closed at once, kept detached, and resumed on another edge.
      for (const s of this.streams) if (s.resumable) s.error('system-shutdown', 'this server is shutting down; resume your session');
      const deadline = Date.now() + config.edge.drainTimeoutMs;
      while (this.streams.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, Math.min(100, config.edge.drainTimeoutMs)));
      for (const s of this.streams) s.error('system-shutdown', 'this server is shutting down; reconnect');
      const closeBy = Date.now() + 2_000;
      while (this.streams.size > 0 && Date.now() < closeBy) await new Promise((r) => setTimeout(r, 20));
      for (const s of this.streams) s.transport.destroy();
    })();
    return this.draining;
  }

  async stop(): Promise<void> {
    process.off('SIGHUP', this.onSighup);
    await this.drain();
    await this.s2s?.stop();
    await Promise.allSettled([...this.ctx.pending]);
    this.watch?.stop();
    clearInterval(this.heartbeat);
    this.liveness?.stop();
    this.offReconnect?.();
    for (const s of this.subs) await s.unsubscribe().catch(() => undefined);
    this.subs.length = 0;
    await this.kv?.delete(keys.edge(this.edgeId)).catch(() => undefined);
    this.features?.stop();
    this.ctx.failedLogins.flush();
    this.unregisterMetrics?.();
    this.unregisterDirectoryHealth?.();
    await this.directories.close();
  }

  /** The heartbeat (and fencing after a lapse: routing/liveness.ts), then the load report. */
  private async beat(force = false): Promise<void> {
    await this.liveness?.beat(force);
    await this.report();
  }

  private async report(): Promise<void> {
    const now = Date.now();
    const stanzas = this.ctx.stats.stanzasIn;
    const rate = ((stanzas - this.lastStanzas) * 1000) / Math.max(1, now - this.lastReportAt);
    this.lastStanzas = stanzas;
    this.lastReportAt = now;
    try {
      this.deps.bus.publish(
        subjects.load('edge', this.edgeId),
        encodeFrame({
          load: {
            component: 'edge',
            instance: this.edgeId,
            connections: this.streams.size,
            stanzasPerSecond: rate,
            atMs: now,
            draining: this.draining !== undefined,
          },
        }),
      );
    } catch (err) {
      this.ctx.logger.warn({ err: (err as Error).message }, 'load report failed');
    }
  }
}

function directoryProblem(directories: Directories): string | undefined {
  const problems = Object.entries(directories.problems());
  return problems.length === 0 ? undefined : problems.map(([domain, why]) => `${domain}: ${why}`).join('; ');
}
