/**
 * Consumes `partitions` subjects spread over the live members of a group, each partition by one
 * member at a time and strictly serially, so per-partition order survives scaling and failures.
 *
 * - Membership: each member puts its key in a KV bucket every heartbeat (entries live 3 heartbeats).
 * - Assignment: rendezvous hashing over the live members (moves only what must move).
 * - Hand-over: a member processes a partition only while it holds the partition's claim key in the
 *   same bucket (created or compare-and-set, refreshed every heartbeat). A member that loses a
 *   partition unsubscribes, finishes what it received, then deletes its claim; only then can the
 *   next owner claim it. A dead member's claims expire with its TTL.
 * - Each partition subject is also subscribed in the queue group `<subject>`, so even a member that
 *   wrongly believes it still owns a partition (a partitioned network) never doubles a message.
 */
import { KvConflictError, type Bus, type BusMessage, type BusSubscription, type KvBucket, type KvEntry, type KvWatch } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import { partitionsOwnedBy } from './rendezvous.js';
import { token, untoken } from './subjects.js';

export interface PartitionedConsumerOptions {
  /** This member's id (instance id), unique in the group. */
  id: string;
  partitions: number;
  subject: (partition: number) => string;
  /** KV bucket of live members and partition claims (e.g. buckets.routers); entries live 3 × heartbeatMs. */
  membersBucket: string;
  heartbeatMs: number;
  handler: (partition: number, msg: BusMessage) => Promise<void>;
  logger: BusLogger;
  /**
   * Runs once a partition is claimed, before any of its messages is handled (they wait behind it):
   * a new owner takes over state the previous one left (the edge's durable s2s queue).
   */
  onAcquired?: (partition: number) => Promise<void>;
  /**
   * Runs when a partition is let go, after its received messages were handled and before the claim
   * is deleted: the next owner starts only once it resolved. Also run when the claim was lost (the
   * others took us for dead and a new owner may already serve the partition).
   */
  onReleased?: (partition: number) => Promise<void>;
}

const claimKey = (p: number): string => `claim.${p}`;
const CLAIM_PREFIX = 'claim.';
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

class PartitionWorker {
  private readonly queue: BusMessage[] = [];
  private running?: Promise<void>;
  sub?: BusSubscription;

  constructor(
    private readonly partition: number,
    private readonly opts: PartitionedConsumerOptions,
    public claimRevision: number,
  ) {}

  /** Messages received for this partition and not yet handed to the handler. */
  get backlog(): number {
    return this.queue.length;
  }

  push(msg: BusMessage): void {
    this.queue.push(msg);
    this.running ??= this.pump();
  }

  /** Runs `first` before any message (messages pushed meanwhile wait behind it). */
  begin(first: () => Promise<void>): void {
    this.running = this.pump(first);
  }

  /** Resolves when every message received so far has been handled. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async pump(first?: () => Promise<void>): Promise<void> {
    try {
      if (first) {
        try {
          await first();
        } catch (err) {
          this.opts.logger.error({ err, partition: this.partition }, 'partition take-over step threw');
        }
      }
      for (let msg = this.queue.shift(); msg; msg = this.queue.shift()) {
        try {
          await this.opts.handler(this.partition, msg);
        } catch (err) {
          this.opts.logger.error({ err, partition: this.partition, subject: msg.subject }, 'partition handler threw');
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}

export class PartitionedConsumer {
  private readonly workers = new Map<number, PartitionWorker>();
  private readonly members = new Set<string>();
  private kv?: KvBucket;
  private watcher?: KvWatch;
  private timer?: NodeJS.Timeout;
  private started = false;
  private evaluating?: Promise<void>;
  private again = false;

  constructor(
    private readonly bus: Bus,
    private readonly opts: PartitionedConsumerOptions,
  ) {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1) throw new Error('partitions must be a positive integer');
    if (!(opts.heartbeatMs > 0)) throw new Error('heartbeatMs must be positive');
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.kv = await this.bus.kv(this.opts.membersBucket, { ttlMs: 3 * this.opts.heartbeatMs });
    await this.heartbeat();
    this.watcher = await this.kv.watch((e) => this.onChange(e));
    await this.reevaluate();
    this.timer = setInterval(() => void this.tick(), this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Leaves the group: finishes what it received, releases its partitions, then its membership. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.timer);
    this.watcher?.stop();
    await this.evaluating;
    await Promise.all([...this.workers.keys()].map((p) => this.release(p)));
    try {
      await this.kv?.delete(token(this.opts.id));
    } catch (err) {
      this.opts.logger.warn?.({ err, member: this.opts.id }, 'could not leave the member bucket');
    }
  }

  owned(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  /** Messages waiting in this member's partitions (glider_bus_partition_backlog_messages). */
  backlog(): number {
    let n = 0;
    for (const w of this.workers.values()) n += w.backlog;
    return n;
  }

  private ticking = false;

  private async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      await this.heartbeat();
      await this.refreshClaims();
      await this.reevaluate();
    } finally {
      this.ticking = false;
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.kv!.put(token(this.opts.id), utf8.encode(String(Date.now())));
    } catch (err) {
      this.opts.logger.warn?.({ err, member: this.opts.id }, 'member heartbeat failed');
    }
  }

  /** Keeps held claims alive; a claim someone else took over (we were thought dead) is dropped at once. */
  private async refreshClaims(): Promise<void> {
    await Promise.all(
      [...this.workers].map(async ([p, w]) => {
        if (this.workers.get(p) !== w) return;
        try {
          w.claimRevision = await this.kv!.update(claimKey(p), utf8.encode(this.opts.id), w.claimRevision);
        } catch (err) {
          if (err instanceof KvConflictError) {
            this.opts.logger.warn?.({ partition: p, member: this.opts.id }, 'partition claim lost; dropping it');
            await this.release(p, false);
          } else {
            this.opts.logger.warn?.({ err, partition: p }, 'partition claim refresh failed');
          }
        }
      }),
    );
  }

  /** Re-evaluates when membership changes or a claim is released; ignores heartbeats and refreshes. */
  private onChange(e: KvEntry): void {
    if (e.key.startsWith(CLAIM_PREFIX)) {
      if (e.operation !== 'PUT') void this.reevaluate();
      return;
    }
    if (e.operation !== 'PUT' || !this.members.has(untoken(e.key))) void this.reevaluate();
  }

  /** Serialised: at most one evaluation runs, and a request during it runs once more after. */
  private reevaluate(): Promise<void> {
    if (this.evaluating) {
      this.again = true;
      return this.evaluating;
    }
    this.evaluating = (async () => {
      do {
        this.again = false;
        try {
          await this.evaluate();
        } catch (err) {
          this.opts.logger.warn?.({ err, member: this.opts.id }, 'partition ownership evaluation failed');
        }
      } while (this.again && this.started);
    })().finally(() => {
      this.evaluating = undefined;
    });
    return this.evaluating;
  }

  private async evaluate(): Promise<void> {
    if (!this.started) return;
    const live = (await this.kv!.keys('*')).map(untoken);
    this.members.clear();
    for (const m of live) this.members.add(m);
    this.members.add(this.opts.id);
    const want = new Set(partitionsOwnedBy(this.opts.id, [...this.members], this.opts.partitions));
    await Promise.all([...this.workers.keys()].filter((p) => !want.has(p)).map((p) => this.release(p)));
    if (!this.started) return;
    await Promise.all([...want].filter((p) => !this.workers.has(p)).map((p) => this.acquire(p)));
  }

  private async acquire(p: number): Promise<void> {
    const key = claimKey(p);
    const mine = utf8.encode(this.opts.id);
    let revision: number;
    try {
      const cur = await this.kv!.get(key);
      if (!cur) {
        revision = await this.kv!.create(key, mine);
      } else {
        const holder = fromUtf8.decode(cur.value);
        // A live holder releases the partition itself once it sees it is no longer the owner.
        if (holder !== this.opts.id && this.members.has(holder)) return;
        revision = await this.kv!.update(key, mine, cur.revision);
      }
    } catch (err) {
      if (!(err instanceof KvConflictError)) throw err;
      return; // someone else claimed it first; the next evaluation sorts it out
    }
    if (!this.started) {
      await this.kv!.delete(key, revision).catch(() => undefined);
      return;
    }
    const w = new PartitionWorker(p, this.opts, revision);
    const onAcquired = this.opts.onAcquired;
    if (onAcquired) w.begin(() => onAcquired(p));
    const subject = this.opts.subject(p);
    w.sub = this.bus.subscribe(subject, (msg) => w.push(msg), { queue: subject });
    this.workers.set(p, w);
    this.opts.logger.debug?.({ partition: p, member: this.opts.id }, 'partition acquired');
  }

  /**
   * Deletes our claim. A refresh racing with the release may have moved its revision on: re-read,
   * and delete while it still names us (a leftover claim would hold the next owner off until expiry).
   */
  private async deleteClaim(p: number, revision: number): Promise<void> {
    const key = claimKey(p);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await this.kv!.delete(key, revision);
        return;
      } catch (err) {
        if (!(err instanceof KvConflictError)) {
          this.opts.logger.warn?.({ err, partition: p }, 'could not release a partition claim');
          return;
        }
      }
      const cur = await this.kv!.get(key).catch(() => undefined);
      if (!cur || fromUtf8.decode(cur.value) !== this.opts.id) return;
      revision = cur.revision;
    }
  }

  /** Stops receiving, finishes what was received, then lets the next owner in. */
  private async release(p: number, deleteClaim = true): Promise<void> {
    const w = this.workers.get(p);
    if (!w) return;
    this.workers.delete(p);
    await w.sub?.unsubscribe();
    await w.idle();
    if (this.opts.onReleased) {
      try {
        await this.opts.onReleased(p);
      } catch (err) {
        this.opts.logger.error({ err, partition: p }, 'partition hand-over step threw');
      }
    }
    if (deleteClaim) await this.deleteClaim(p, w.claimRevision);
    this.opts.logger.debug?.({ partition: p, member: this.opts.id }, 'partition released');
  }
}
