import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StorageLimitError, StorageUnavailableError } from '../ports/errors.js';
import { offlineQuotaOf, type OfflineMessage, type OfflineQuota, type OfflineRepository } from '../ports/offline.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { decodeEach, type RecordCodec } from './mongo-record.js';
import { isDuplicateKey, sleep } from './mongo-retry.js';

const COLLECTION = 'offline';
/** Per owner `{ _id: owner, seq, compactAt }`: the highest seq taken (it may lag; pushes probe past it). */
const HEADS = 'offline_heads';
/** Lost races for the next sequence number before giving up on one push (the caller bounces). */
const MAX_CONFLICTS = 100;

export const OFFLINE_INDEXES: CollectionIndexes[] = [
  { collection: COLLECTION, indexes: [{ key: { owner: 1, seq: 1 }, name: 'owner_seq', unique: true }] },
  { collection: HEADS, indexes: [] },
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

interface MessageDoc {
  _id: string;
  schema: number;
  owner: string;
  seq: number;
  xml?: string;
  /** UTF-8 bytes of `xml` (the byte quota sums these; absent on messages stored before it). */
  bytes?: number;
  storedAt: Date;
  /** Random token: a pusher whose reply was lost recognises its own message. */
  rev: string;
  /** Delivered (or refused over quota): kept without its body a while, so its seq is never reused. */
  gone?: boolean;
  goneAt?: Date;
}

/** Shape version of `offline_heads` documents (only ever read for numbers, so no codec). */
const HEAD_SCHEMA = 1;

interface HeadDoc {
  _id: string;
  schema?: number;
  seq: number;
  /** No live message has a lower seq (set by complete listings): lets most pushes skip counting. */
  low?: number;
  compactAt?: Date;
}

const LIVE = { gone: { $ne: true } } as const;

/**
 * XEP-0160 offline messages: one document per message, `_id` = `owner/seq`. A push inserts the
 * next free seq; an insert of a taken `_id` fails on every MongoDB-wire server, so racing routers
 * get distinct, ordered seqs without transactions or atomic counters (FerretDB 1.x has neither). A
 * push that finds itself past the quota among the lower seqs withdraws, so the quota holds under
 * concurrency. Delivered messages become bodiless tombstones, deleted once older than any
 * operation can take, so a delayed pusher can never reuse a seq.
 */
export class MongoOfflineRepository implements OfflineRepository {
  private readonly quietMs: number;

  constructor(private readonly ctx: MongoContext) {
    this.quietMs = 5 * ctx.operationTimeoutMs;
  }

  private get col() {
    return this.ctx.db.collection<MessageDoc>(COLLECTION);
  }

  private get heads() {
    return this.ctx.db.collection<HeadDoc>(HEADS);
  }

  async push(owner: string, xml: string, quota: number | OfflineQuota): Promise<number> {
    const { messages, bytes } = offlineQuotaOf(quota);
    const size = Buffer.byteLength(xml, 'utf8');
    const full = (what: string) => new StorageLimitError(`offline storage of ${owner} is full (${what})`);
    if (messages <= 0) throw full(`${messages} messages`);
    if (size > bytes) throw full(`${bytes} bytes`);
    const { seq, low } = await this.take(owner, xml, size);
    await this.advanceHead(owner, seq);
    // Every lower seq is stored already (a seq is only taken past existing ones), so what is live
    // at or below seq decides; later pushes decide past us, and messages only ever stop being
    // live: the quota holds under concurrency without transactions.
    const bounded = Number.isFinite(bytes);
    // live messages up to seq lie in [low, seq]: only when that range exceeds the quota, count them
    if (seq - low + 1 <= messages && !bounded) return seq;
    let used: { n: number; bytes: number };
    try {
      used = await this.usedUpTo(owner, seq, bounded);
    } catch (err) {
      // the message is stored: reporting a failure now would make the caller bounce a message
      // that is still delivered later; a quota overshoot by one is the lesser harm
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'offline quota not checked');
      return seq;
    }
    if (used.n > messages || used.bytes > bytes) {
      await this.markGone(owner, [`${owner}/${seq}`]);
      throw full(used.n > messages ? `${messages} messages` : `${bytes} bytes`);
    }
    return seq;
  }

  /** Live messages at or below `seq` and, when asked, their bytes (older documents: from their XML). */
  private async usedUpTo(owner: string, seq: number, withBytes: boolean): Promise<{ n: number; bytes: number }> {
    const filter = { owner, seq: { $lte: seq }, ...LIVE };
    if (!withBytes) {
      const n = await this.ctx.retry.run(`count offline messages of ${owner}`, () => this.col.countDocuments(filter));
      return { n, bytes: 0 };
    }
    const docs = await this.ctx.retry.run(`size offline messages of ${owner}`, () => this.col.find(filter, { projection: { _id: 1, bytes: 1 } }).toArray());
    let total = 0;
    const unsized: string[] = [];
    for (const d of docs) {
      if (typeof d.bytes === 'number') total += d.bytes;
      else unsized.push(d._id);
    }
    if (unsized.length > 0) {
      const old = await this.ctx.retry.run(`size older offline messages of ${owner}`, () =>
        this.col.find({ _id: { $in: unsized }, ...LIVE }, { projection: { xml: 1 } }).toArray(),
      );
      for (const d of old) total += Buffer.byteLength(d.xml ?? '', 'utf8');
    }
    return { n: docs.length, bytes: total };
  }

  /**
   * Inserts the message under the first free seq past the head, by `_id` only. After losing a seq,
   * it re-reads the head to jump past the winners rather than trail them one by one (a slow prober
   * would starve behind busy pushers otherwise).
   */
  private async take(owner: string, xml: string, bytes: number): Promise<{ seq: number; low: number }> {
    let seq = 0;
    let low = 1;
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const readAt = Date.now();
      const head = await this.readHead(owner);
      seq = Math.max(seq, (head?.seq ?? 0) + 1);
      low = Math.max(low, head?.low ?? 1);
      const doc: MessageDoc = {
        _id: `${owner}/${seq}`,
        schema: codec.version,
        owner,
        seq,
        xml,
        bytes,
        storedAt: new Date(),
        rev: randomUUID(),
      };
      if (await this.insert(doc, readAt)) return { seq, low };
      seq++;
      if (conflict > 2) await sleep(Math.random() * Math.min(2 ** conflict, 50));
    }
    throw new StorageUnavailableError(`offline storage of ${owner}: gave up after ${MAX_CONFLICTS} concurrent pushes`);
  }

  /** Best effort: a head left behind only costs the next push a few probes. */
  private async advanceHead(owner: string, seq: number): Promise<void> {
    try {
      await this.ctx.retry.run(`advance offline seq of ${owner}`, async () => {
        try {
          await this.heads.updateOne({ _id: owner }, { $max: { seq }, $setOnInsert: { schema: HEAD_SCHEMA } }, { upsert: true });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          await this.heads.updateOne({ _id: owner }, { $max: { seq } });
        }
      });
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'offline seq head not advanced');
    }
  }

  async list(owner: string, limit?: number): Promise<OfflineMessage[]> {
    // the head first: every seq up to head.seq is stored before head.seq is
    const head = await this.readHead(owner);
    const docs = await this.ctx.retry.run(`list offline messages of ${owner}`, () =>
      this.col
        .find({ owner, ...LIVE })
        .sort({ seq: 1 })
        .limit(limit ?? 0)
        .toArray(),
    );
    if (head && (limit === undefined || docs.length < limit)) {
      // a complete listing: nothing live below its first seq (or, when empty, up to head.seq)
      await this.raiseLow(owner, head, docs.length > 0 ? docs[0]!.seq : head.seq + 1);
    }
    return decodeEach(codec, docs as unknown as Record<string, unknown>[], this.ctx.logger);
  }

  async remove(owner: string, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.markGone(
      owner,
      seqs.map((seq) => `${owner}/${seq}`),
    );
    await this.compact(owner);
  }

  async count(owner: string): Promise<number> {
    return this.ctx.retry.run(`count offline messages of ${owner}`, () => this.col.countDocuments({ owner, ...LIVE }));
  }

  async deleteAll(owner: string): Promise<void> {
    const head = await this.readHead(owner);
    await this.ctx.retry.run(`delete offline messages of ${owner}`, () =>
      this.col.updateMany({ owner, ...LIVE }, { $set: { gone: true, goneAt: new Date() }, $unset: { xml: '' } }),
    );
    if (head) await this.raiseLow(owner, head, head.seq + 1);
    await this.compact(owner);
  }

  /** The owner's head, with anything but numbers (a hand edit) read as absent: probing copes. */
  private async readHead(owner: string): Promise<HeadDoc | undefined> {
    const head = await this.ctx.retry.run(`read offline head of ${owner}`, () => this.heads.findOne({ _id: owner }));
    if (!head || typeof head.seq !== 'number' || !Number.isInteger(head.seq)) return undefined;
    if (head.low !== undefined && (typeof head.low !== 'number' || head.low > head.seq + 1)) delete head.low;
    return head;
  }

  /** Best effort, only ever upwards: a stale `low` only makes pushes count. */
  private async raiseLow(owner: string, head: HeadDoc, low: number): Promise<void> {
    if (typeof low !== 'number' || low <= (head.low ?? 1)) return;
    try {
      await this.ctx.retry.run(`raise offline low of ${owner}`, () => this.heads.updateOne({ _id: owner }, { $max: { low } }));
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'offline low mark not raised');
    }
  }

  /** True when this message took its seq; false when another push had it (or it read too long ago). */
  private async insert(doc: MessageDoc, readAt: number): Promise<boolean> {
    return this.ctx.retry.run(`store offline message for ${doc.owner}`, async (attempt) => {
      if (attempt > 1 && Date.now() - readAt > this.quietMs / 2) {
        const there = await this.col.findOne({ _id: doc._id }, { projection: { rev: 1 } });
        return there?.rev === doc.rev;
      }
      try {
        await this.col.insertOne(doc);
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        if (attempt === 1) return false;
        // after a lost reply, the seq may be taken by our own first attempt
        const there = await this.col.findOne({ _id: doc._id }, { projection: { rev: 1 } });
        return there?.rev === doc.rev;
      }
    });
  }

  private async markGone(owner: string, ids: string[]): Promise<void> {
    await this.ctx.retry.run(`remove offline messages of ${owner}`, () =>
      this.col.updateMany({ _id: { $in: ids }, ...LIVE }, { $set: { gone: true, goneAt: new Date() }, $unset: { xml: '' } }),
    );
  }

  /**
   * Deletes tombstones older than any operation can take, below the head's seq (so a seq is never
   * given out twice); at most once per quiet period per owner, since the query scans on FerretDB.
   */
  private async compact(owner: string): Promise<void> {
    try {
      await this.ctx.retry.run(`compact offline messages of ${owner}`, async () => {
        const now = Date.now();
        const head = await this.readHead(owner);
        if (!head || (head.compactAt instanceof Date && now - head.compactAt.getTime() < this.quietMs)) return;
        await this.heads.updateOne({ _id: owner }, { $set: { compactAt: new Date(now) } });
        await this.col.deleteMany({
          owner,
          gone: true,
          goneAt: { $lt: new Date(now - this.quietMs) },
          seq: { $lt: head.seq },
        });
      });
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'offline compaction failed; retried later');
    }
  }
}
