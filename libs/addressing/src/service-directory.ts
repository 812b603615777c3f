import { buckets, keys, type Bus, type BusLogger, type KvBucket, type KvEntry, type KvWatch } from '#libs/bus';
import { AddressingTable } from './addressing-table.js';
import { decodeDeclaration, encodeDeclaration } from './declaration.codec.js';
import { declaration, invalid, type Serves, type ServiceDeclaration } from './declaration.js';

export interface ServiceDirectoryOptions {
  localDomains: string[];
  partitions: number;
  /** `bus.heartbeatMs`: declarations are written this often and live 3 times as long. */
  heartbeatMs: number;
  /**
   * `bus.outageGraceMs`: after this process's bus connection comes back from an outage, a
   * declaration that expired is kept this long (the services reconnect and declare again first).
   */
  outageGraceMs: number;
  logger: BusLogger;
}

/**
 * The addressing table kept on the bus (KV bucket `glider_services`), with the liveness of the
 * routers' membership: each instance writes its declaration every heartbeat, entries expire after
 * three, and a clean stop deletes them at once. Every process watches the bucket, and re-lists it
 * each heartbeat (an expiry sends no watch event), so each router's table follows services as
 * they come and go. On the in-process bus the same code gives standalone the same semantics.
 *
 * A bus outage (nats-server restarted) stops every heartbeat at once, and the declarations expire
 * meanwhile. So while this process's own bus is away, and for bus.outageGraceMs after it came
 * back, an expiry removes nothing it had seen (an explicit delete still does): the services
 * reconnect and declare again first (docs/reliability.md, "Bus outages"). A stale declaration is
 * safe: a request to a dead service finds no responders and becomes the RFC error.
 */
export class ServiceDirectory {
  readonly table: AddressingTable;
  private readonly own = new Map<string, { d: ServiceDeclaration; bytes: Uint8Array }>();
  private readonly seen = new Map<string, Uint8Array>();
  private kv: KvBucket | undefined;
  private watch: KvWatch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private reportedConflicts = '';
  private offReconnect: (() => void) | undefined;
  /** True while expiries are held off after an outage (to log its start and end once). */
  private holding = false;

  constructor(
    private readonly bus: Bus,
    private readonly opts: ServiceDirectoryOptions,
  ) {
    this.table = new AddressingTable({ localDomains: opts.localDomains, partitions: opts.partitions });
  }

  async start(): Promise<void> {
    if (this.kv) return;
    this.kv = await this.bus.kv(buckets.services, { ttlMs: 3 * this.opts.heartbeatMs });
    this.watch = await this.kv.watch((e) => this.onEntry(e));
    await this.resync();
    this.timer = setInterval(() => void this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
    // Back from an outage: declare again at once, not a heartbeat later.
    this.offReconnect = this.bus.onReconnect(() => void this.tick());
  }

  /** Declares what `service` serves from this instance: in the local table at once, on the bus next. */
  async declare(service: string, instance: string, serves: Serves): Promise<ServiceDeclaration> {
    const d = declaration(service, instance, serves);
    const key = keys.service(service, instance);
    const bytes = encodeDeclaration(d);
    this.own.set(key, { d, bytes });
    this.apply(key, d, bytes);
    await this.kv?.put(key, bytes);
    return d;
  }

  /** Withdraws this instance's declaration of `service` (routers stop sending to it at once). */
  async withdraw(service: string, instance: string): Promise<void> {
    const key = keys.service(service, instance);
    if (!this.own.delete(key)) return;
    this.forget(key);
    try {
      await this.kv?.delete(key);
    } catch (err) {
      this.opts.logger.warn?.({ err, key }, 'could not withdraw a service declaration; it expires on its own');
    }
  }

  /** Withdraws every declaration of this process and stops following the bucket. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.offReconnect?.();
    this.watch?.stop();
    for (const { d } of [...this.own.values()]) await this.withdraw(d.service, d.instance);
    this.kv = undefined;
  }

  private async tick(): Promise<void> {
    if (this.ticking || !this.kv) return;
    this.ticking = true;
    try {
      for (const [key, { bytes }] of this.own) await this.kv.put(key, bytes);
      await this.resync();
    } catch (err) {
      this.opts.logger.warn?.({ err }, 'service directory refresh failed; the next heartbeat retries');
    } finally {
      this.ticking = false;
    }
  }

  /** Drops what expired (no watch event for that), unless the bus was just away, and picks up anything the watch missed. */
  private async resync(): Promise<void> {
    const live = new Set(await this.kv!.keys());
    const expired = this.table.keys().filter((key) => !live.has(key) && !this.own.has(key));
    if (!this.holdOff(expired)) for (const key of expired) this.forget(key);
    for (const key of live) {
      if (this.seen.has(key) || this.own.has(key)) continue;
      const e = await this.kv!.get(key);
      if (e) this.onEntry(e);
    }
  }

  /** True while the bus is away or came back less than bus.outageGraceMs ago. */
  private holdOff(expired: string[]): boolean {
    const back = this.bus.lastReconnectAt();
    const hold = this.bus.health() !== undefined || (back !== undefined && performance.now() - back < this.opts.outageGraceMs);
    if (hold && expired.length > 0 && !this.holding) {
      this.holding = true;
      this.opts.logger.info?.(
        { keys: expired, outageGraceMs: this.opts.outageGraceMs },
        'bus outage: expired service declarations kept until the services are back',
      );
    } else if (!hold && this.holding) {
      this.holding = false;
      this.opts.logger.info?.({ outageGraceMs: this.opts.outageGraceMs }, 'service declarations expire again after the bus outage');
    }
    return hold;
  }

  private onEntry(e: KvEntry): void {
    if (this.own.has(e.key)) return; // ours is authoritative locally
    if (e.operation !== 'PUT') return void this.forget(e.key);
    const known = this.seen.get(e.key);
    if (known && Buffer.compare(known, e.value) === 0) return; // a heartbeat: nothing changed
    let d: ServiceDeclaration;
    try {
      d = decodeDeclaration(e.value);
    } catch (err) {
      this.opts.logger.warn?.({ err, key: e.key }, 'unreadable service declaration ignored');
      return;
    }
    const problem = invalid(d);
    if (problem) return void this.opts.logger.warn?.({ key: e.key, problem }, 'invalid service declaration ignored');
    this.apply(e.key, d, Buffer.from(e.value));
  }

  private apply(key: string, d: ServiceDeclaration, bytes: Uint8Array): void {
    const fresh = !this.seen.has(key);
    this.seen.set(key, bytes);
    this.table.set(key, d);
    if (fresh) this.opts.logger.info?.({ service: d.service, instance: d.instance }, 'service declared');
    this.reportConflicts();
  }

  private forget(key: string): void {
    this.seen.delete(key);
    if (this.table.delete(key)) this.opts.logger.info?.({ key }, 'service declaration gone');
  }

  private reportConflicts(): void {
    const now = this.table.conflicts().join('; ');
    if (now && now !== this.reportedConflicts) this.opts.logger.warn?.({ conflicts: this.table.conflicts() }, 'services claim the same addresses');
    this.reportedConflicts = now;
  }
}
