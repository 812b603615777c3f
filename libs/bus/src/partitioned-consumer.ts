/**
 * Consumes `partitions` subjects spread over the live members of a group (rendezvous hashing over
 * a KV membership bucket with heartbeats), processing each partition strictly serially.
 *
 * Each partition subject is subscribed with the queue group `<subject>`: while ownership moves, the
 * old and the new owner may both be subscribed for a moment, and the queue group still hands each
 * message to only one of them.
 */
import type { Bus, BusMessage, BusSubscription, KvBucket, KvWatch } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import { partitionsOwnedBy } from './rendezvous.js';
import { token, untoken } from './subjects.js';

export interface PartitionedConsumerOptions {
  /** This member's id (instance id), unique in the group. */
  id: string;
  partitions: number;
  subject: (partition: number) => string;
  /** KV bucket of live members (e.g. buckets.routers); entries live 3 × heartbeatMs. */
  membersBucket: string;
  heartbeatMs: number;
  handler: (partition: number, msg: BusMessage) => Promise<void>;
  logger: BusLogger;
}

class PartitionWorker {
  private readonly queue: BusMessage[] = [];
  private running?: Promise<void>;
  sub?: BusSubscription;

  constructor(
    private readonly partition: number,
    private readonly opts: PartitionedConsumerOptions,
  ) {}

  push(msg: BusMessage): void {
    this.queue.push(msg);
    this.running ??= this.pump();
  }

  /** Resolves when every message received so far has been handled. */
  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async pump(): Promise<void> {
    try {
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
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.kv = await this.bus.kv(this.opts.membersBucket, { ttlMs: 3 * this.opts.heartbeatMs });
    await this.heartbeat();
    this.watcher = await this.kv.watch(() => this.reevaluate());
    await this.reevaluate();
    this.timer = setInterval(() => {
      void this.heartbeat().then(() => this.reevaluate());
    }, this.opts.heartbeatMs);
    this.timer.unref();
  }

  /** Leaves the group (others take over at once) and waits for in-flight messages. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    clearInterval(this.timer);
    this.watcher?.stop();
    await this.evaluating;
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((w) => w.sub?.unsubscribe()));
    try {
      await this.kv?.delete(token(this.opts.id));
    } catch (err) {
      this.opts.logger.warn?.({ err, member: this.opts.id }, 'could not leave the member bucket');
    }
    await Promise.all(workers.map((w) => w.idle()));
  }

  owned(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.kv!.put(token(this.opts.id), new TextEncoder().encode(String(Date.now())));
    } catch (err) {
      this.opts.logger.warn?.({ err, member: this.opts.id }, 'member heartbeat failed');
    }
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
    const members = new Set((await this.kv!.keys()).map(untoken));
    members.add(this.opts.id);
    if (!this.started) return;
    const want = new Set(partitionsOwnedBy(this.opts.id, [...members], this.opts.partitions));
    for (const [p, w] of this.workers) {
      if (want.has(p)) continue;
      this.workers.delete(p);
      await w.sub?.unsubscribe();
    }
    for (const p of want) {
      if (this.workers.has(p)) continue;
      const w = new PartitionWorker(p, this.opts);
      const subject = this.opts.subject(p);
      w.sub = this.bus.subscribe(subject, (msg) => w.push(msg), { queue: subject });
      this.workers.set(p, w);
    }
  }
}
