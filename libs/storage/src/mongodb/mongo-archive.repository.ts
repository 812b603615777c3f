import type { Filter } from 'mongodb';
import { z } from 'zod';
import {
  ArchiveItemNotFoundError,
  bareOf,
  ownerDomain,
  type ArchiveBounds,
  type ArchivedMessage,
  type ArchiveFilter,
  type ArchivePage,
  type ArchivePaging,
  type ArchivePrefs,
  type ArchiveRepository,
} from '../ports/archive.repository.js';
import { validateArchivePrefs } from '../ports/archive-prefs.js';
import { replaceOrInsert, type CollectionIndexes, type MongoContext } from './mongo-context.js';
import { decodeEach, decodeRecord, SCHEMA_FIELD, type RecordCodec } from './mongo-record.js';
import { BatchedInserts } from './mongo-batched-inserts.js';

const ARCHIVE = 'archive';
const PREFS = 'archive_prefs';

interface ArchiveDoc {
  schema: number;
  owner: string;
  id: string;
  domain: string;
  withBare: string;
  withFull: string;
  ts: Date;
  direction: 'in' | 'out';
  xml: string;
}

interface PrefsDoc {
  _id: string;
  schema: number;
  prefs: ArchivePrefs;
}

const messageCodec: RecordCodec<Omit<ArchiveDoc, 'schema' | 'domain' | 'withBare'>> = {
  kind: 'archived message',
  version: 1,
  shape: z.object({
    owner: z.string(),
    id: z.string(),
    withFull: z.string(),
    ts: z.date(),
    direction: z.enum(['in', 'out']),
    xml: z.string(),
  }),
};
const prefsCodec: RecordCodec<{ prefs: unknown }> = { kind: 'archive preferences', version: 1, shape: z.object({ prefs: z.unknown() }) };

/**
 * One createIndexes call per index (FerretDB 1.x drops the connection when one call ensures several
 * existing indexes). (owner, id) is unique: it orders pages and makes a retried append land once.
 */
export const ARCHIVE_INDEXES: CollectionIndexes[] = [
  { collection: ARCHIVE, indexes: [{ key: { owner: 1, id: 1 }, name: 'owner_id', unique: true }] },
  { collection: ARCHIVE, indexes: [{ key: { owner: 1, withBare: 1, id: 1 }, name: 'owner_withBare_id' }] },
  { collection: ARCHIVE, indexes: [{ key: { owner: 1, withFull: 1, id: 1 }, name: 'owner_withFull_id' }] },
  { collection: ARCHIVE, indexes: [{ key: { owner: 1, ts: 1 }, name: 'owner_ts' }] },
  { collection: ARCHIVE, indexes: [{ key: { domain: 1, ts: 1 }, name: 'domain_ts' }] },
];

/** The archive on MongoDB: collection `archive`, preferences in `archive_prefs` (docs/storage.md). */
export class MongoArchiveRepository implements ArchiveRepository {
  private readonly appends: BatchedInserts<ArchiveDoc>;

  constructor(private readonly ctx: MongoContext) {
    this.appends = new BatchedInserts(ctx, () => this.col, 'archive appends');
  }

  private get col() {
    return this.ctx.db.collection<ArchiveDoc>(ARCHIVE);
  }

  private get prefs() {
    return this.ctx.db.collection<PrefsDoc>(PREFS);
  }

  async append(m: ArchivedMessage): Promise<void> {
    const doc: ArchiveDoc = {
      [SCHEMA_FIELD]: 1,
      owner: m.owner,
      id: m.id,
      domain: ownerDomain(m.owner),
      withBare: bareOf(m.with),
      withFull: m.with,
      ts: m.timestamp,
      direction: m.direction,
      xml: m.xml,
    };
    // with the other appends of this turn, one insertMany (every message makes two)
    await this.appends.insert(doc);
  }

  async query(owner: string, filter: ArchiveFilter, paging: ArchivePaging): Promise<ArchivePage> {
    return this.ctx.retry.run(`archive query of ${owner}`, async () => {
      for (const id of [filter.afterId, filter.beforeId, paging.after, typeof paging.before === 'string' ? paging.before : undefined]) {
        if (id === undefined) continue;
        if (!(await this.col.findOne({ owner, id }, { projection: { _id: 1 } }))) throw new ArchiveItemNotFoundError(`no archived message ${id}`);
      }
      const base: Filter<ArchiveDoc> = { owner };
      if (filter.with !== undefined) {
        if (filter.with.includes('/')) base.withFull = filter.with;
        else base.withBare = filter.with;
      }
      if (filter.start || filter.end) base.ts = { ...(filter.start ? { $gte: filter.start } : {}), ...(filter.end ? { $lte: filter.end } : {}) };
      const idRange: { $gt?: string; $lt?: string; $in?: string[] } = {};
      if (filter.afterId !== undefined) idRange.$gt = filter.afterId;
      if (filter.beforeId !== undefined) idRange.$lt = filter.beforeId;
      if (filter.ids) idRange.$in = filter.ids;
      const withIds = (r: typeof idRange): Filter<ArchiveDoc> => (Object.keys(r).length ? { ...base, id: r } : base);
      const count = await this.col.countDocuments(withIds(idRange));
      if (paging.max <= 0) return { messages: [], count, complete: count === 0 };
      const pageRange = { ...idRange };
      if (paging.after !== undefined) pageRange.$gt = maxOf(pageRange.$gt, paging.after);
      if (typeof paging.before === 'string') pageRange.$lt = minOf(pageRange.$lt, paging.before);
      const backwards = paging.before !== undefined;
      const docs = await this.col
        .find(withIds(pageRange))
        .sort({ id: backwards ? -1 : 1 })
        .limit(paging.max + 1)
        .toArray();
      const complete = docs.length <= paging.max;
      const kept = docs.slice(0, paging.max);
      if (backwards) kept.reverse();
      // a damaged record is logged and left out of the page (the rest of the archive stays readable)
      return { messages: decodeEach(messageCodec, kept as unknown as Record<string, unknown>[], this.ctx.logger).map(toMessage), count, complete };
    });
  }

  async bounds(owner: string): Promise<ArchiveBounds> {
    const one = (dir: 1 | -1) =>
      this.ctx.retry.run(`archive bounds of ${owner}`, () =>
        this.col
          .find({ owner }, { projection: { id: 1, ts: 1 } })
          .sort({ id: dir })
          .limit(1)
          .next(),
      );
    const [first, last] = [await one(1), await one(-1)];
    return {
      ...(first ? { first: { id: first.id, timestamp: first.ts } } : {}),
      ...(last ? { last: { id: last.id, timestamp: last.ts } } : {}),
    };
  }

  async getPrefs(owner: string): Promise<ArchivePrefs | undefined> {
    const doc = await this.ctx.retry.run(`archive prefs of ${owner}`, () => this.prefs.findOne({ _id: owner }));
    return doc ? validateArchivePrefs(owner, decodeRecord(prefsCodec, owner, doc as unknown as Record<string, unknown>).prefs) : undefined;
  }

  async setPrefs(owner: string, prefs: ArchivePrefs): Promise<void> {
    const valid = validateArchivePrefs(owner, prefs);
    await this.ctx.retry.run(`set archive prefs of ${owner}`, () => replaceOrInsert(this.prefs, { _id: owner, [SCHEMA_FIELD]: 1, prefs: valid }));
  }

  async deleteAll(owner: string): Promise<number> {
    await this.appends.drain(); // an append made before the delete must not land after it
    await this.ctx.retry.run(`delete archive prefs of ${owner}`, () => this.prefs.deleteOne({ _id: owner }));
    const r = await this.ctx.retry.run(`delete archive of ${owner}`, () => this.col.deleteMany({ owner }));
    return r.deletedCount;
  }

  async deleteOlderThan(domain: string, before: Date): Promise<number> {
    const r = await this.ctx.retry.run(`archive retention of ${domain}`, () => this.col.deleteMany({ domain, ts: { $lt: before } }));
    return r.deletedCount;
  }

  async replaceXml(owner: string, id: string, xml: string): Promise<boolean> {
    // idempotent: a retried update sets the same value
    const r = await this.ctx.retry.run(`archive replace ${id} of ${owner}`, () => this.col.updateOne({ owner, id }, { $set: { xml } }));
    return r.matchedCount > 0;
  }
}

function toMessage(d: z.infer<typeof messageCodec.shape>): ArchivedMessage {
  return { owner: d.owner, id: d.id, with: d.withFull, timestamp: d.ts, direction: d.direction, xml: d.xml };
}

const maxOf = (a: string | undefined, b: string) => (a === undefined || b > a ? b : a);
const minOf = (a: string | undefined, b: string) => (a === undefined || b < a ? b : a);
