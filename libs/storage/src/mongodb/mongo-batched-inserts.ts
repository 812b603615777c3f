import { MongoBulkWriteError, MongoServerError, type Collection, type Document, type OptionalUnlessRequiredId, type WriteError } from 'mongodb';
import type { MongoContext } from './mongo-context.js';
import { DUPLICATE_KEY } from './mongo-retry.js';

interface Waiting<T> {
  doc: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Inserts that arrive in one turn of the event loop go to the server as one unordered
 * `insertMany`: a server commits per write command (FerretDB on SQLite: a transaction and a sync
 * each), so the archive's two appends per message cost one round trip and one commit per turn
 * instead of one each (docs/performance.md, "Message archive": ~150 single inserts/s against
 * ~3,500 in batches of 50 on FerretDB 1.24). A duplicate key is an earlier attempt that landed
 * (the record is stored once); a document the server refuses fails its own caller only; a call that
 * fails as a whole is retried whole within the storage retry budget (its landed documents then
 * come back as duplicates).
 */
export class BatchedInserts<T extends Document> {
  private queue: Waiting<T>[] = [];
  /** Batches sent and not settled yet. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly ctx: MongoContext,
    private readonly collection: () => Collection<T>,
    private readonly what: string,
  ) {}

  insert(doc: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ doc, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Sends what waits now and resolves once every batch sent so far has settled: before a write that
   * must come after these (an owner's archive deleted: an append made before it must not land after it).
   */
  async drain(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    const sent = this.send();
    this.inFlight.add(sent);
    void sent.finally(() => this.inFlight.delete(sent));
  }

  /** Inserts what waits as one batch; settles each caller (never throws). */
  private async send(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    let refused: Map<number, unknown>;
    try {
      refused = await this.ctx.retry.run(`${this.what} (${batch.length})`, () => this.insertAll(batch.map((w) => w.doc)));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    batch.forEach((w, i) => (refused.has(i) ? w.reject(refused.get(i)) : w.resolve()));
  }

  /** The documents the server refused for good, by their index in `docs`; throws when the call failed as a whole. */
  private async insertAll(docs: T[]): Promise<Map<number, unknown>> {
    try {
      // copies: the driver adds an _id to what it inserts, and a retry must send fresh documents
      await this.collection().insertMany(
        docs.map((d) => ({ ...d }) as OptionalUnlessRequiredId<T>),
        { ordered: false },
      );
      return new Map();
    } catch (err) {
      if (!(err instanceof MongoBulkWriteError)) throw err;
      const errors: WriteError[] = Array.isArray(err.writeErrors) ? (err.writeErrors as WriteError[]) : [err.writeErrors as WriteError];
      if (errors.length === 0) throw err; // no per-document errors (write concern, connection): all again
      const refused = new Map<number, unknown>();
      for (const e of errors) if (e.code !== DUPLICATE_KEY) refused.set(e.index, new MongoServerError({ message: e.errmsg ?? 'write error', code: e.code }));
      return refused;
    }
  }
}
