/** A KvBucket on JetStream KV (`@nats-io/kv`), with its errors mapped to the bus contract's. */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { KvConflictError, type KvBucket, type KvEntry, type KvWatch } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import { wire } from './local-values.js';

function isWrongLastSequence(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown;
  }
  return err instanceof Error && /wrong last sequence/i.test(err.message);
}

async function cas<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (isWrongLastSequence(err)) throw new KvConflictError(what, { cause: err });
    throw err;
  }
}

/** While a watch replays current values, how often it asks its consumer whether anything is pending. */
const WATCH_READY_POLL_MS = 50;
/** Without that consumer (a client upgrade), how long a watch waits for its replay to end. */
const WATCH_READY_FALLBACK_MS = 1_000;

export class NatsKv implements KvBucket {
  constructor(
    readonly name: string,
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly logger: BusLogger,
  ) {}

  async get(key: string): Promise<KvEntry | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    return { key, value: e.value, revision: e.revision, operation: 'PUT' };
  }

  put(key: string, value: Uint8Array): Promise<number> {
    return this.kv.put(key, wire(value));
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return cas(`${this.name}: key exists: ${key}`, () => this.kv.create(key, wire(value)));
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    if (revision <= 0) throw new KvConflictError(`${this.name}: no revision ${revision} of ${key}`);
    return cas(`${this.name}: ${key} moved on from revision ${revision}`, () => this.kv.update(key, wire(value), revision));
  }

  delete(key: string, revision?: number): Promise<void> {
    if (revision === undefined) return this.kv.delete(key);
    return cas(`${this.name}: ${key} moved on from revision ${revision}`, () => this.kv.delete(key, { previousSeq: revision }));
  }

  async purgeDeletes(olderThanMs: number): Promise<number> {
    const r = await (this.kv as unknown as { purgeDeletes(olderMillis: number): Promise<{ purged: number }> }).purgeDeletes(olderThanMs);
    return r.purged;
  }

  async purgeUpTo(filter: string, revision: number): Promise<void> {
    if (revision <= 0) return;
    await this.jsm.streams.purge(`KV_${this.name}`, { filter: `$KV.${this.name}.${filter}`, seq: revision + 1 });
  }

  /**
   * The live keys matching `filter`. Not the client's `kv.keys()`: that iterates a consumer until its
   * pending count reaches zero, and when entries expire (TTL buckets) or are replaced (history 1)
   * between the count and the delivery it waits for an idle heartbeat or forever (seen on
   * nats-server 2.9). The stream's own subject list is one request and exact; a subject whose last
   * entry is a delete marker is then dropped by reading it.
   */
  async keys(filter = '>'): Promise<string[]> {
    const prefix = `$KV.${this.name}.`;
    const info = await this.jsm.streams.info(`KV_${this.name}`, { subjects_filter: prefix + filter });
    const candidates = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(prefix.length));
    const live = await Promise.all(candidates.map(async (key) => ((await this.get(key)) ? key : undefined)));
    return live.filter((key): key is string => key !== undefined);
  }

  async changedSince(filter: string, revision: number): Promise<boolean> {
    const next = await this.jsm.direct.getMessage(`KV_${this.name}`, { seq: revision + 1, next_by_subj: `$KV.${this.name}.${filter}` });
    return next !== null;
  }

  /**
   * Resolves once the current values have been delivered. JetStream replays the last entry of
   * every key, delete markers included; those are dropped here (the contract replays no deletes).
   * The replay is the entries up to the stream's last sequence when the watch began; it is complete
   * once an entry at or past that sequence arrives, or once the consumer has nothing pending and
   * everything it sent has been seen (entries may expire before they are delivered, so counting
   * them up front, as the client does, can wait forever).
   */
  async watch(onEntry: (entry: KvEntry) => void, filter = '>'): Promise<KvWatch> {
    const lastSeq = (await this.jsm.streams.info(`KV_${this.name}`)).state.last_seq;
    const iter = await this.kv.watch({ key: filter });
    let seen = 0;
    let stopped = false;
    let isReady = lastSeq === 0;
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const becomeReady = (): void => {
      isReady = true;
      markReady();
    };
    if (isReady) markReady();
    void (async () => {
      for await (const e of iter as AsyncIterable<KvWatchEntry>) {
        seen++;
        const isInitial = e.revision <= lastSeq;
        if (!stopped && !(isInitial && e.operation !== 'PUT')) {
          try {
            onEntry({ key: e.key, value: e.value, revision: e.revision, operation: e.operation });
          } catch (err) {
            this.logger.error({ err, bucket: this.name, key: e.key }, 'kv watch handler threw');
          }
        }
        if (e.revision >= lastSeq) becomeReady();
      }
      becomeReady();
    })().catch((err: unknown) => {
      this.logger.error({ err, bucket: this.name }, 'kv watch ended');
      becomeReady();
    });
    const consumer = (iter as { _data?: { info?: (cached: boolean) => Promise<{ num_pending: number; delivered: { consumer_seq: number } }> } })._data;
    const pause = (ms: number): Promise<unknown> => Promise.race([ready, new Promise((r) => setTimeout(r, ms))]);
    try {
      while (!isReady) {
        if (consumer?.info) {
          const info = await consumer.info(false);
          if (info.num_pending === 0 && seen >= info.delivered.consumer_seq) becomeReady();
          else await pause(WATCH_READY_POLL_MS);
        } else {
          // a client without the consumer handle: give the replay a moment, then go on
          await pause(WATCH_READY_FALLBACK_MS);
          becomeReady();
        }
      }
    } catch (err) {
      iter.stop();
      throw err;
    }
    return {
      stop: () => {
        stopped = true;
        iter.stop();
      },
    };
  }
}
