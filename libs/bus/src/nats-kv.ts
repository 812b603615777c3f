/** A KvBucket on JetStream KV (`@nats-io/kv`), with its errors mapped to the bus contract's. */
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { KvConflictError, type KvBucket, type KvEntry, type KvWatch } from './bus.js';
import type { BusLogger } from './bus-logger.js';

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

export class NatsKv implements KvBucket {
  constructor(
    readonly name: string,
    private readonly kv: KV,
    private readonly logger: BusLogger,
  ) {}

  async get(key: string): Promise<KvEntry | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    return { key, value: e.value, revision: e.revision, operation: 'PUT' };
  }

  put(key: string, value: Uint8Array): Promise<number> {
    return this.kv.put(key, value);
  }

  create(key: string, value: Uint8Array): Promise<number> {
    return cas(`${this.name}: key exists: ${key}`, () => this.kv.create(key, value));
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    if (revision <= 0) throw new KvConflictError(`${this.name}: no revision ${revision} of ${key}`);
    return cas(`${this.name}: ${key} moved on from revision ${revision}`, () => this.kv.update(key, value, revision));
  }

  delete(key: string, revision?: number): Promise<void> {
    if (revision === undefined) return this.kv.delete(key);
    return cas(`${this.name}: ${key} moved on from revision ${revision}`, () => this.kv.delete(key, { previousSeq: revision }));
  }

  async purgeDeletes(olderThanMs: number): Promise<number> {
    const r = await (this.kv as unknown as { purgeDeletes(olderMillis: number): Promise<{ purged: number }> }).purgeDeletes(olderThanMs);
    return r.purged;
  }

  async keys(filter = '>'): Promise<string[]> {
    const out: string[] = [];
    for await (const k of await this.kv.keys(filter)) out.push(k);
    return out;
  }

  /**
   * Resolves once the current values have been delivered. JetStream replays the last entry of
   * every key, delete markers included; those are dropped here (the contract replays no deletes).
   */
  async watch(onEntry: (entry: KvEntry) => void, filter = '>'): Promise<KvWatch> {
    const iter = await this.kv.watch({ key: filter });
    const initial = await initialCount(iter);
    let seen = 0;
    let stopped = false;
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    if (initial === 0) markReady();
    void (async () => {
      for await (const e of iter as AsyncIterable<KvWatchEntry>) {
        const isInitial = seen < initial;
        seen++;
        if (!stopped && !(isInitial && e.operation !== 'PUT')) {
          try {
            onEntry({ key: e.key, value: e.value, revision: e.revision, operation: e.operation });
          } catch (err) {
            this.logger.error({ err, bucket: this.name, key: e.key }, 'kv watch handler threw');
          }
        }
        if (seen === initial) markReady();
      }
      markReady();
    })().catch((err: unknown) => {
      this.logger.error({ err, bucket: this.name }, 'kv watch ended');
      markReady();
    });
    await ready;
    return {
      stop: () => {
        stopped = true;
        iter.stop();
      },
    };
  }
}

/**
 * How many entries the watch replays before live changes: the pending count of its consumer at
 * creation (the client's own `isUpdate` flag marks the last replayed entry as an update).
 */
async function initialCount(iter: unknown): Promise<number> {
  const consumer = (iter as { _data?: { info?: (cached: boolean) => Promise<{ num_pending: number }> } })._data;
  if (!consumer?.info) return 0;
  return (await consumer.info(true)).num_pending;
}
