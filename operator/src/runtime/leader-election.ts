import { KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { countApiError } from './operator-metrics.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewPeriodMs: number;
  retryPeriodMs: number;
}

interface Lease extends KubernetesObject {
  spec?: { holderIdentity?: string; leaseDurationSeconds?: number; acquireTime?: string; renewTime?: string; leaseTransitions?: number };
}

const microTime = (d = new Date()): string => d.toISOString().replace('Z', '000Z');

/**
 * Lease-based leader election (coordination.k8s.io/v1), as client-go does it: take the Lease when it
 * is free or its holder has not renewed within leaseDurationSeconds, renew it periodically, and
 * give it up if a renewal fails for longer than the lease (another replica may hold it by then).
 * Writes carry the resourceVersion read, so two candidates never both win (409 for the loser).
 */
export class LeaderElector {
  private readonly api: KubernetesObjectApi;
  private timer: NodeJS.Timeout | undefined;
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  /** The tick being run: stop() waits for it, so its renewal cannot land after the release. */
  private inflight: Promise<void> | undefined;
  /** The other holder's record as last seen, and when (local clock: no trust in others' clocks). */
  private observed = { record: '', atMs: 0 };

  constructor(
    kc: KubeConfig,
    private readonly opts: LeaderElectionOptions,
    private readonly callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void },
    private readonly log: Logger,
  ) {
    this.api = KubernetesObjectApi.makeApiClient(kc);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.runTick();
  }

  private runTick(): void {
    this.inflight = this.tick().finally(() => (this.inflight = undefined));
  }

  /** Stops campaigning; a leader releases the Lease so a successor need not wait for it to expire. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // A renewal in flight would otherwise replace the Lease after our release (or make the release
    // fail on a stale resourceVersion): the Lease would stay held until it expires.
    await this.inflight;
    if (this.leading && release) {
      try {
        const lease = await this.read();
        if (lease?.spec?.holderIdentity === this.opts.identity) {
          lease.spec.holderIdentity = '';
          lease.spec.leaseDurationSeconds = 1;
          await this.api.replace(lease);
        }
      } catch (err) {
        this.log.warn({ err: String(err) }, 'could not release the Lease; it expires by itself');
      }
    }
    this.setLeading(false);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      countApiError('lease', (err as { code?: number }).code);
      this.log.debug({ err: String(err) }, 'lease update failed');
    }
    if (ok) this.lastRenew = Date.now();
    // Give up before the Lease can expire for the others (client-go's renewDeadline), so two
    // replicas never both act as leader.
    if (this.leading && !ok && Date.now() - this.lastRenew > (this.opts.leaseDurationSeconds * 1000 * 2) / 3) this.setLeading(false);
    if (ok) this.setLeading(true);
    if (!this.stopped) this.timer = setTimeout(() => this.runTick(), this.leading ? this.opts.renewPeriodMs : this.opts.retryPeriodMs);
  }

  private async read(): Promise<Lease | undefined> {
    try {
      return await this.api.read<Lease>({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
      });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = new Date();
    const lease = await this.read();
    const spec = { holderIdentity: this.opts.identity, leaseDurationSeconds: this.opts.leaseDurationSeconds, renewTime: microTime(now) };
    if (!lease) {
      await this.api.create({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.opts.name, namespace: this.opts.namespace },
        spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
      });
      return true;
    }
    const held = lease.spec?.holderIdentity;
    const record = `${held}/${String(lease.spec?.renewTime)}/${lease.spec?.leaseDurationSeconds}`;
    if (record !== this.observed.record) this.observed = { record, atMs: now.getTime() };
    const expired = this.observed.atMs + (lease.spec?.leaseDurationSeconds ?? 0) * 1000 < now.getTime();
    if (held && held !== this.opts.identity && !expired) return false;
    const takeover = held !== this.opts.identity;
    lease.spec = {
      ...lease.spec,
      ...spec,
      ...(takeover ? { acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1 } : {}),
    };
    await this.api.replace(lease);
    return true;
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.log.info({ identity: this.opts.identity, leading }, leading ? 'became leader' : 'lost leadership');
    if (leading) this.callbacks.onStartedLeading();
    else this.callbacks.onStoppedLeading();
  }
}
