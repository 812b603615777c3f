import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StorageRecordError, StorageUnavailableError } from '../ports/errors.js';
import type { Roster, RosterChange, RosterItem, RostersRepository } from '../ports/rosters.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { decodeRecord, SCHEMA_FIELD, type RecordCodec } from './mongo-record.js';
import { isDuplicateKey, sleep } from './mongo-retry.js';

const COLLECTION = 'roster_changes';

/** Roster versioning (RFC 6121 §2.6) answers for at most this many recent changes, like embedded. */
const HISTORY_WINDOW = 500;
/** Removed items remembered for roster versioning; an older removal forces a full roster push. */
const MAX_TOMBSTONES = 200;
/** Lost races for the next version before giving up on one change (the caller bounces). */
const MAX_CONFLICTS = 100;

export const ROSTERS_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [{ key: { owner: 1, v: 1 }, name: 'owner_v', unique: true }],
};

const itemShape = z.object({
  jid: z.string(),
  name: z.string().optional(),
  subscription: z.enum(['none', 'to', 'from', 'both']),
  askOut: z.boolean(),
  askIn: z.boolean(),
  approved: z.boolean(),
  groups: z.array(z.string()),
  pendingInStanza: z.string().optional(),
});

/** One change: the contact's item after it (or before it, for a removal), or a reset (deleteAll). */
const changeShape = z.object({
  v: z.number().int().min(1),
  contact: z.string().optional(),
  item: itemShape.optional(),
  removed: z.boolean().optional(),
  reset: z.boolean().optional(),
});
type StoredChange = z.infer<typeof changeShape>;

const codec: RecordCodec<StoredChange> = { kind: 'roster change', version: 1, shape: changeShape };

interface ChangeDoc {
  _id: string;
  schema: number;
  owner: string;
  v: number;
  contact?: string;
  item?: RosterItem;
  removed?: boolean;
  reset?: boolean;
  /** Changes at or below this version are forgotten (as of this change). */
  floor: number;
  /** Random token: a writer whose reply was lost recognises its own change. */
  rev: string;
  at: Date;
}

/** The roster as its change documents say: the latest change per contact after the last reset. */
interface Folded {
  version: number;
  floor: number;
  latest: Map<string, ChangeDoc>;
  /** Documents nobody needs any more (superseded, below a reset, pruned tombstones). */
  stale: ChangeDoc[];
}

/**
 * Rosters as an append-only log of changes, one document per version: `_id` = `owner/version`.
 * Writing a change means inserting the next version, and an insert of a taken `_id` fails on
 * every MongoDB-wire server, so two routers changing one roster at once never lose an update: the
 * loser re-reads and re-applies its `mutate` (optimistic concurrency). This needs no transactions
 * and no atomic conditional update (FerretDB 1.x has neither). Superseded changes are deleted once
 * older than any operation can take, so a delayed writer can never reuse a version.
 */
export class MongoRostersRepository implements RostersRepository {
  private readonly quietMs: number;

  constructor(private readonly ctx: MongoContext) {
    this.quietMs = 5 * ctx.operationTimeoutMs;
  }

  private get col() {
    return this.ctx.db.collection<ChangeDoc>(COLLECTION);
  }

  async get(owner: string): Promise<Roster> {
    const f = await this.load(owner);
    const items: RosterItem[] = [];
    for (const doc of f.latest.values()) {
      try {
        const item = this.itemOf(owner, doc);
        if (item) items.push(item);
      } catch (err) {
        if (!(err instanceof StorageRecordError)) throw err;
        this.ctx.logger.error({ err: err.message, owner }, 'skipping unreadable roster item');
      }
    }
    return { owner, version: f.version, items };
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    const doc = (await this.load(owner)).latest.get(contact);
    return doc && this.itemOf(owner, doc);
  }

  async modify(
    owner: string,
    contact: string,
    mutate: (current: RosterItem | undefined) => RosterItem | undefined,
  ): Promise<RosterChange | undefined> {
    return this.append(owner, (f) => {
      const latest = f.latest.get(contact);
      const before = latest && this.itemOf(owner, latest);
      const after = mutate(before);
      if (after === before) return undefined;
      const change: RosterChange = after
        ? { version: f.version + 1, item: { ...copyItem(after), jid: contact }, removed: false }
        : { version: f.version + 1, item: before!, removed: true };
      const doc = this.changeDoc(owner, change.version, f.floor, { contact, item: change.item });
      if (change.removed) doc.removed = true;
      return { doc, result: change, prune: latest ? [latest, ...this.tombstonesToPrune(f, doc)] : this.tombstonesToPrune(f, doc) };
    });
  }

  async changesSince(owner: string, version: number): Promise<RosterChange[] | undefined> {
    const f = await this.load(owner);
    if (version > f.version || version < f.floor) return undefined;
    const out: RosterChange[] = [];
    for (const doc of f.latest.values()) {
      if (doc.v <= version) continue;
      const c = decodeRecord(codec, doc._id, doc as unknown as Record<string, unknown>);
      out.push({ version: c.v, item: copyItem(c.item!), removed: c.removed === true });
    }
    return out.sort((a, b) => a.version - b.version);
  }

  /** Empties the roster but moves the version on, so clients holding an old version start over. */
  async deleteAll(owner: string): Promise<void> {
    await this.append(owner, (f) => {
      if (f.version === 0 || (f.latest.size === 0 && f.floor === f.version)) return undefined;
      const v = f.version + 1;
      const doc = this.changeDoc(owner, v, v, { reset: true });
      return { doc, result: undefined, prune: [...f.latest.values()] };
    });
  }

  /**
   * Read, compute, insert the next version, retried when another writer took it first. `compute`
   * may run several times and returns undefined when there is nothing to write.
   */
  private async append<R>(
    owner: string,
    compute: (f: Folded) => { doc: ChangeDoc; result: R; prune: ChangeDoc[] } | undefined,
  ): Promise<R | undefined> {
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const readAt = Date.now();
      const f = await this.load(owner);
      const step = compute(f);
      if (!step) return undefined;
      if (await this.insert(step.doc, readAt)) {
        await this.compact(owner, [...f.stale, ...step.prune]);
        return step.result;
      }
      await sleep(Math.random() * Math.min(2 ** conflict, 50));
    }
    throw new StorageUnavailableError(`roster of ${owner}: gave up after ${MAX_CONFLICTS} concurrent changes`);
  }

  /** True when this change took its version; false when another writer had it (or it read too long ago). */
  private async insert(doc: ChangeDoc, readAt: number): Promise<boolean> {
    return this.ctx.retry.run(`write roster of ${doc.owner}`, async (attempt) => {
      if (attempt > 1 && Date.now() - readAt > this.quietMs / 2) {
        const there = await this.col.findOne({ _id: doc._id });
        return there?.rev === doc.rev; // ours if it landed; else re-read before writing
      }
      try {
        await this.col.insertOne(doc);
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        if (attempt === 1) return false;
        // after a lost reply, the version may be taken by our own first attempt
        const there = await this.col.findOne({ _id: doc._id });
        return there?.rev === doc.rev;
      }
    });
  }

  private async load(owner: string): Promise<Folded> {
    const docs = await this.ctx.retry.run(`read roster of ${owner}`, () =>
      this.col.find({ owner }).sort({ v: 1 }).toArray(),
    );
    return this.fold(owner, docs);
  }

  private fold(owner: string, docs: ChangeDoc[]): Folded {
    const f: Folded = { version: 0, floor: 0, latest: new Map(), stale: [] };
    for (const doc of docs) {
      if (typeof doc.v !== 'number' || typeof doc.floor !== 'number') {
        this.ctx.logger.error({ owner, id: String(doc._id) }, 'skipping roster change without a version');
        continue;
      }
      if (doc.v <= f.version) continue; // sorted: cannot happen but for duplicates by hand
      f.version = doc.v;
      f.floor = Math.max(f.floor, doc.floor);
      if (doc.reset) {
        f.stale.push(...f.latest.values());
        f.latest.clear();
        continue;
      }
      const contact = typeof doc.contact === 'string' ? doc.contact : undefined;
      if (!contact) continue;
      const previous = f.latest.get(contact);
      if (previous) f.stale.push(previous);
      f.latest.set(contact, doc);
    }
    for (const [contact, doc] of f.latest) {
      if (doc.v <= f.floor && doc.removed === true) {
        f.latest.delete(contact);
        f.stale.push(doc);
      }
    }
    return f;
  }

  /** The contact's current item, undefined when removed; StorageRecordError when unreadable. */
  private itemOf(owner: string, doc: ChangeDoc): RosterItem | undefined {
    const c = decodeRecord(codec, `${doc._id} (${owner})`, doc as unknown as Record<string, unknown>);
    if (c.removed) return undefined;
    if (!c.item) throw new StorageRecordError(`roster change ${doc._id}: corrupted record (item: missing)`);
    return copyItem(c.item);
  }

  private changeDoc(owner: string, v: number, floor: number, body: Partial<ChangeDoc>): ChangeDoc {
    return {
      _id: `${owner}/${v}`,
      [SCHEMA_FIELD]: codec.version,
      owner,
      v,
      ...body,
      floor: Math.max(floor, v - HISTORY_WINDOW),
      rev: randomUUID(),
      at: new Date(),
    } as ChangeDoc;
  }

  /** Oldest removals beyond MAX_TOMBSTONES; the new change's floor moves past them. */
  private tombstonesToPrune(f: Folded, next: ChangeDoc): ChangeDoc[] {
    const tombstones = [...f.latest.values()].filter((d) => d.removed === true && d.contact !== next.contact);
    if (next.removed) tombstones.push(next);
    const extra = tombstones.sort((a, b) => a.v - b.v).slice(0, Math.max(0, tombstones.length - MAX_TOMBSTONES));
    for (const t of extra) next.floor = Math.max(next.floor, t.v);
    return extra.filter((t) => t !== next);
  }

  /**
   * Deletes documents no reader needs, once they are older than any operation can take: a writer
   * that read long ago then finds its version taken instead of slipping into a gap.
   */
  private async compact(owner: string, docs: ChangeDoc[]): Promise<void> {
    const cutoff = Date.now() - this.quietMs;
    const ids = docs.filter((d) => d.at instanceof Date && d.at.getTime() < cutoff).map((d) => d._id);
    if (ids.length === 0) return;
    try {
      await this.ctx.retry.run(`compact roster of ${owner}`, () => this.col.deleteMany({ _id: { $in: ids } }));
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'roster compaction failed; retried later');
    }
  }
}

function copyItem(i: RosterItem): RosterItem {
  const out: RosterItem = {
    jid: i.jid,
    subscription: i.subscription,
    askOut: i.askOut,
    askIn: i.askIn,
    approved: i.approved,
    groups: [...i.groups],
  };
  if (i.name !== undefined) out.name = i.name;
  if (i.pendingInStanza !== undefined) out.pendingInStanza = i.pendingInStanza;
  return out;
}
