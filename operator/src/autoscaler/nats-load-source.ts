import { connect, type NatsConnection } from '@nats-io/transport-node';
import { decodeFrame, encodeFrame, subjects, untoken, wire } from '#libs/bus';
import type { LoadSample, LoadSource } from './load-source.js';

/**
 * Load reports from NATS (`glider.v1.load.>`, protobuf Frame{load}) and drain commands to edges
 * (Frame{control: DRAIN} on the edge's control subject). Reconnects forever; `problem` says when
 * the bus cannot be reached, which the operator reports as a Degraded condition.
 */
export class NatsLoadSource implements LoadSource {
  private nc: NatsConnection | undefined;
  problem: string | undefined;

  constructor(
    private readonly url: string,
    /** user:password or a token, from the cluster's NATS credentials Secret. */
    private readonly credentials?: string,
    private readonly connectTimeoutMs = 3000,
  ) {}

  async start(onSample: (s: LoadSample) => void): Promise<void> {
    const auth = this.auth();
    try {
      this.nc = await connect({
        servers: this.url.split(','),
        name: 'glider-operator',
        timeout: this.connectTimeoutMs,
        reconnect: true,
        maxReconnectAttempts: -1,
        ...auth,
      });
    } catch (err) {
      this.problem = `NATS ${this.url} unreachable: ${(err as Error).message}`;
      throw err;
    }
    this.problem = undefined;
    void this.watchStatus(this.nc);
    const sub = this.nc.subscribe(subjects.loadAll());
    void (async () => {
      for await (const m of sub) {
        try {
          const load = decodeFrame(m.data).load;
          if (!load) continue;
          const instance = load.instance || untoken(m.subject.split('.').pop() ?? '');
          onSample({
            component: load.component,
            instance,
            connections: load.connections ?? 0,
            stanzasPerSecond: load.stanzasPerSecond ?? 0,
            atMs: load.atMs || Date.now(),
            draining: load.draining ?? false,
          });
        } catch {
          /* not a load frame: ignore */
        }
      }
    })();
  }

  async drain(edgeId: string): Promise<void> {
    if (!this.nc) throw new Error('NATS not connected');
    this.nc.publish(subjects.edgeControl(edgeId), wire(encodeFrame({ control: { kind: 'DRAIN', text: 'scaling down' } })));
    await this.nc.flush();
  }

  async stop(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    await nc?.drain().catch(() => nc.close());
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.problem = `NATS ${this.url} disconnected`;
      if (s.type === 'reconnect') this.problem = undefined;
    }
  }

  private auth(): { user?: string; pass?: string; token?: string } {
    if (!this.credentials) return {};
    const raw = this.credentials.trim();
    const i = raw.indexOf(':');
    return i > 0 ? { user: raw.slice(0, i), pass: raw.slice(i + 1) } : { token: raw };
  }
}
