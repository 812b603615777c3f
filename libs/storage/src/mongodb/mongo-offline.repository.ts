import { z } from 'zod';
import { StorageLimitError, StorageUnavailableError } from '../ports/errors.js';
import type { OfflineMessage, OfflineRepository } from '../ports/offline.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { decodeEach, type RecordCodec } from './mongo-record.js';
import { isDuplicateKey } from './mongo-retry.js';

const MESSAGES = 'offline';
/** Per-owner sequence counters: `{ _id: owner, seq }`, kept after deleteAll so seqs never go back. */
const COUNTERS = 'offline_seq';
/** Fresh sequence numbers tried when a message id is taken (a counter reset by hand). */
const MAX_SEQ_CLASHES = 5;

export const OFFLINE_INDEXES: CollectionIndexes[] = [
  { collection: MESSAGES, indexes: [{ key: { owner: 1, seq: 1 }, name: 'owner_seq', unique: true }] },
  { collection: COUNTERS, indexes: [] },
];

const codec: RecordCodec<OfflineMessage> = {
  kind: 'offline message',
  version: 1,
  shape: z.object({
    seq: z.number().int().min(1),
    owner: z.string(),
    xml: z.string(),
    storedAt: z.date(),
  }),
};

interface MessageDoc extends OfflineMessage {
  _id: string;
  schema: number;
}

interface CounterDoc {
  _id: string;
  seq: number;
}

/**
 * XEP-0160 offline messages: one document per message, `_id` = `owner/seq`, with seq from an atomic
 * per-owner counter. A retried insert after a lost reply hits its own `_id`, so a message is never
 * stored twice; messages stay until `remove` names them (delivered first, removed after).
 */
export class MongoOfflineRepository implements OfflineRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get messages() {
    return this.ctx.db.collection<MessageDoc>(MESSAGES);
  }

  private get counters() {
    return this.ctx.db.collection<CounterDoc>(COUNTERS);
  }

  async push(owner: string, xml: string, maxPerUser: number): Promise<number> {
    // Concurrent pushes for one owner may overshoot the quota by the number of routers at most.
    if ((await this.count(owner)) >= maxPerUser) {
      throw new StorageLimitError(`offline storage of ${owner} is full (${maxPerUser} messages)`);
    }
    const storedAt = new Date();
    for (let clash = 0; clash < MAX_SEQ_CLASHES; clash++) {
      const seq = await this.nextSeq(owner);
      const doc: MessageDoc = { _id: `${owner}/${seq}`, schema: codec.version, seq, owner, xml, storedAt };
      const stored = await this.ctx.retry.run(`store offline message for ${owner}`, async (attempt) => {
        try {
          await this.messages.insertOne(doc);
          return true;
        } catch (err) {
          // on a retry, a taken id is our own earlier attempt that landed
          if (isDuplicateKey(err)) return attempt > 1;
          throw err;
        }
      });
      if (stored) return seq;
    }
    throw new StorageUnavailableError(`offline storage of ${owner}: sequence counter keeps clashing`);
  }

  async list(owner: string, limit?: number): Promise<OfflineMessage[]> {
    const docs = await this.ctx.retry.run(`list offline messages of ${owner}`, () =>
      this.messages
        .find({ owner })
        .sort({ seq: 1 })
        .limit(limit ?? 0)
        .toArray(),
    );
    return decodeEach(codec, docs as unknown as Record<string, unknown>[], this.ctx.logger);
  }

  async remove(owner: string, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    const ids = seqs.map((seq) => `${owner}/${seq}`);
    await this.ctx.retry.run(`remove offline messages of ${owner}`, () =>
      this.messages.deleteMany({ _id: { $in: ids } }),
    );
  }

  async count(owner: string): Promise<number> {
    return this.ctx.retry.run(`count offline messages of ${owner}`, () => this.messages.countDocuments({ owner }));
  }

  async deleteAll(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete offline messages of ${owner}`, () => this.messages.deleteMany({ owner }));
  }

  /** A retried increment after a lost reply skips a number: gaps are fine, order is what counts. */
  private async nextSeq(owner: string): Promise<number> {
    return this.ctx.retry.run(`next offline seq of ${owner}`, async () => {
      for (let race = 0; ; race++) {
        try {
          const doc = await this.counters.findOneAndUpdate(
            { _id: owner },
            { $inc: { seq: 1 } },
            { upsert: true, returnDocument: 'after' },
          );
          return doc!.seq;
        } catch (err) {
          // two first pushes raced to create the counter: the loser increments the winner's
          if (!isDuplicateKey(err) || race >= 2) throw err;
        }
      }
    });
  }
}
