import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StorageRecordError, StorageUnavailableError } from '../ports/errors.js';
import type { Roster, RosterChange, RosterItem, RostersRepository } from '../ports/rosters.repository.js';
import { replaceOrInsert, type CollectionIndexes, type MongoContext } from './mongo-context.js';
import { decodeRecord, SCHEMA_FIELD, type RecordCodec } from './mongo-record.js';
import { isDuplicateKey, sleep } from './mongo-retry.js';

const HEADS = 'rosters';
const CHANGES = 'roster_changes';

/** Roster versioning (RFC 6121 §2.6) answers for at most this many recent changes, like embedded. */
const HISTORY_WINDOW = 500;
/** Removed items remembered for roster versioning; an older removal forces a full roster push. */
const MAX_TOMBSTONES = 200;
/** Lost races for the next version before giving up on one change (the caller bounces). */
const MAX_CONFLICTS = 100;
/** Old change documents deleted per write, so cleanup keeps pace without a background job. */
const COMPACT_PER_WRITE = 4;

/** Everything is found by `_id` (the only lookup FerretDB's SQLite backend indexes): no extra index. */
export const ROSTERS_INDEXES: CollectionIndexes[] = [
  { collection: HEADS, indexes: [] },
  { collection: CHANGES, indexes: [] },
];

const itemShape = z.object({
  jid: z.string(),
  name: z.string().optional(),
  subscription: z.enum(['none', 'to', 'from', 'both']),
  askOut: z.boolean(),
  askIn: z.boolean(),
  approved: z.boolean(),
  groups: z.array(z.string()),
  pendingInStanza: z.string().optional(),
  /** Version of the item's last change. */
  ver: z.number().int().min(1),
  /** A tombstone: the item was removed at `ver`. */
  removed: z.boolean().optional(),
});
type StoredItem = z.infer<typeof itemShape>;
/** Items are decoded one by one, so one damaged item fails alone. */
type RawItem = Record<string, unknown>;

const headShape = z.object({
  version: z.number().int().min(0),
  /** Changes at or below this version are forgotten: older client versions get the full roster. */
  floor: z.number().int().min(0),
  /** Change documents up to here are deleted (or being deleted). */
  compactedTo: z.number().int().min(0),
  items: z.array(z.record(z.string(), z.unknown())),
});
type Head = z.infer<typeof headShape>;
const headCodec: RecordCodec<Head> = { kind: 'roster', version: 1, shape: headShape };

const changeShape = z.object({
  v: z.number().int().min(1),
  /** The contact's item after the change (before it, for a removal); absent for a reset. */
  item: itemShape.optional(),
  reset: z.boolean().optional(),
  rev: z.string(),
  at: z.date(),
});
type Change = z.infer<typeof changeShape>;
const changeCodec: RecordCodec<Change> = { kind: 'roster change', version: 1, shape: changeShape };

type HeadDoc = Head & { _id: string; schema: number };
type ChangeDoc = Change & { _id: string; schema: number; owner: string };

/**
 * A roster is a head document (`rosters`, `_id` = owner: every item, the version) plus a log of
 * changes (`roster_changes`, `_id` = `owner/version`). A writer takes the next version by
 * inserting its change: an insert of a taken `_id` fails on every MongoDB-wire server, so two
 * routers changing one roster at once never lose an update (the loser re-reads and re-applies its
 * `mutate`), without transactions or atomic conditional updates (FerretDB 1.x has neither). The
 * head is then rewritten; a reader applies any change past the head's version, so a head written
 * late, put back or lost is repaired by the log. Changes are deleted once older than any operation
 * can take, and only after a head holding them is written.
 */
export class MongoRostersRepository implements RostersRepository {
  private readonly quietMs: number;

  constructor(private readonly ctx: MongoContext) {
    this.quietMs = 5 * ctx.operationTimeoutMs;
  }

  private get heads() {
    return this.ctx.db.collection<HeadDoc>(HEADS);
  }

  private get changes() {
    return this.ctx.db.collection<ChangeDoc>(CHANGES);
  }

  async get(owner: string): Promise<Roster> {
    const head = await this.load(owner);
    const items = this.readable(owner, head.items).filter((i) => !i.removed);
    return { owner, version: head.version, items: items.map(toItem) };
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    const found = liveItem(owner, (await this.load(owner)).items, contact);
    return found && toItem(found);
  }

  async modify(owner: string, contact: string, mutate: (current: RosterItem | undefined) => RosterItem | undefined): Promise<RosterChange | undefined> {
    return this.append(owner, (head) => {
      const existing = liveItem(owner, head.items, contact);
      const before = existing && toItem(existing);
      const after = mutate(before);
      if (after === before) return undefined;
      const v = head.version + 1;
      const result: RosterChange = after
        ? { version: v, item: { ...toItem(after), jid: contact }, removed: false }
        : { version: v, item: before!, removed: true };
      const item: StoredItem = { ...result.item, ver: v };
      if (result.removed) item.removed = true;
      return { change: { v, item, rev: randomUUID(), at: new Date() }, result };
    });
  }

  async changesSince(owner: string, version: number): Promise<RosterChange[] | undefined> {
    const head = await this.load(owner);
    if (version > head.version || version < head.floor) return undefined;
    return this.readable(owner, head.items)
      .filter((i) => i.ver > version)
      .sort((a, b) => a.ver - b.ver)
      .map((i) => ({ version: i.ver, item: toItem(i), removed: i.removed === true }));
  }

  /** Empties the roster but moves the version on, so clients holding an old version start over. */
  async deleteAll(owner: string): Promise<void> {
    await this.append(owner, (head) => {
      if (head.version === 0 || (head.items.length === 0 && head.floor === head.version)) return undefined;
      return { change: { v: head.version + 1, reset: true, rev: randomUUID(), at: new Date() }, result: undefined };
    });
  }

  /**
   * Read, compute, insert the next change, retried when another writer took that version. `compute`
   * may run several times and returns undefined when there is nothing to write.
   */
  private async append<R>(owner: string, compute: (head: Head) => { change: Change; result: R } | undefined): Promise<R | undefined> {
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const readAt = Date.now();
      const head = await this.load(owner);
      const step = compute(head);
      if (!step) return undefined;
      if (await this.insert(owner, step.change, readAt)) {
        const next = applyChange(head, step.change);
        const old = await this.compactable(owner, next);
        if (await this.writeHead(owner, next)) await this.deleteChanges(owner, old);
        return step.result;
      }
      await sleep(Math.random() * Math.min(2 ** conflict, 50));
    }
    throw new StorageUnavailableError(`roster of ${owner}: gave up after ${MAX_CONFLICTS} concurrent changes`);
  }

  /** The items that decode; a damaged one is logged and left out (getItem on it still fails). */
  private readable(owner: string, items: RawItem[]): StoredItem[] {
    const out: StoredItem[] = [];
    for (const raw of items) {
      try {
        out.push(decodeItem(owner, raw));
      } catch (err) {
        if (!(err instanceof StorageRecordError)) throw err;
        this.ctx.logger.error({ err: err.message, owner }, 'skipping unreadable roster item');
      }
    }
    return out;
  }

  /** The head with every change past it applied. */
  private async load(owner: string): Promise<Head> {
    const doc = await this.ctx.retry.run(`read roster of ${owner}`, () => this.heads.findOne({ _id: owner }));
    let head: Head = doc ? decodeRecord(headCodec, owner, doc as unknown as Record<string, unknown>) : { version: 0, floor: 0, compactedTo: 0, items: [] };
    for (;;) {
      const id = `${owner}/${head.version + 1}`;
      const raw = await this.ctx.retry.run(`read roster of ${owner}`, () => this.changes.findOne({ _id: id }));
      if (!raw) return head;
      head = applyChange(head, decodeRecord(changeCodec, id, raw as unknown as Record<string, unknown>));
    }
  }

  /** True when this change took its version; false when another writer had it (or it read too long ago). */
  private async insert(owner: string, change: Change, readAt: number): Promise<boolean> {
    const doc: ChangeDoc = { _id: `${owner}/${change.v}`, [SCHEMA_FIELD]: changeCodec.version, owner, ...change };
    return this.ctx.retry.run(`write roster of ${owner}`, async (attempt) => {
      const mine = async () => (await this.changes.findOne({ _id: doc._id }))?.rev === change.rev;
      // a writer that read long ago must re-read: compaction may have freed versions it would reuse
      if (attempt > 1 && Date.now() - readAt > this.quietMs / 2) return mine();
      try {
        await this.changes.insertOne(doc);
        return true;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        // after a lost reply, the version may be taken by our own first attempt
        return attempt > 1 && (await mine());
      }
    });
  }

  /**
   * Replaces the head by `_id` alone (the one filter FerretDB's SQLite backend does not scan for).
   * A slow writer may put an older head back; `load` applies the changes past it from the log, and
   * the next write repairs it. False when it could not be written: the change is in the log anyway.
   */
  private async writeHead(owner: string, head: Head): Promise<boolean> {
    const doc: HeadDoc = { _id: owner, [SCHEMA_FIELD]: headCodec.version, ...head };
    try {
      await this.ctx.retry.run(`write roster of ${owner}`, () => replaceOrInsert(this.heads, doc));
      return true;
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'roster head not rewritten; the log has the change');
      return false;
    }
  }

  /**
   * The oldest change documents the new head makes unnecessary and that are older than any operation
   * can take (so no delayed writer can slip into their versions); moves `head.compactedTo` past them.
   */
  private async compactable(owner: string, head: Head): Promise<string[]> {
    const cutoff = Date.now() - this.quietMs;
    const ids: string[] = [];
    try {
      while (ids.length < COMPACT_PER_WRITE && head.compactedTo < head.version - 1) {
        const id = `${owner}/${head.compactedTo + 1}`;
        const doc = await this.ctx.retry.run(`compact roster of ${owner}`, () => this.changes.findOne({ _id: id }, { projection: { at: 1 } }));
        if (doc && (!(doc.at instanceof Date) || doc.at.getTime() >= cutoff)) break;
        if (doc) ids.push(id);
        head.compactedTo++;
      }
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'roster compaction skipped; retried later');
    }
    return ids;
  }

  private async deleteChanges(owner: string, ids: string[]): Promise<void> {
    try {
      for (const id of ids) {
        await this.ctx.retry.run(`compact roster of ${owner}`, () => this.changes.deleteOne({ _id: id }));
      }
    } catch (err) {
      this.ctx.logger.warn({ owner, err: (err as Error).message }, 'old roster changes left behind');
    }
  }
}

/** The roster after one change: history beyond the window and old tombstones forgotten. */
function applyChange(head: Head, change: Change): Head {
  if (change.reset || !change.item) {
    return { version: change.v, floor: change.v, compactedTo: head.compactedTo, items: [] };
  }
  const contact = change.item.jid;
  const at = head.items.findIndex((i) => i.jid === contact);
  const items: RawItem[] = head.items.filter((i) => i.jid !== contact);
  items.splice(at < 0 ? items.length : at, 0, { ...change.item });
  let floor = Math.max(head.floor, change.v - HISTORY_WINDOW);
  const tombstones = items.filter((i) => i.removed === true).sort((a, b) => Number(a.ver) - Number(b.ver));
  const drop = new Set(tombstones.slice(0, Math.max(0, tombstones.length - MAX_TOMBSTONES)));
  for (const t of drop) floor = Math.max(floor, Number(t.ver));
  return {
    version: change.v,
    floor,
    compactedTo: head.compactedTo,
    items: drop.size ? items.filter((i) => !drop.has(i)) : items,
  };
}

function decodeItem(owner: string, raw: RawItem): StoredItem {
  const parsed = itemShape.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = typeof raw.jid === 'string' ? raw.jid : '?';
  throw new StorageRecordError(`roster item ${name} of ${owner}: corrupted record (${issue.path.join('.') || 'item'}: ${issue.message})`);
}

/** The contact's current item, undefined if absent or removed; StorageRecordError if damaged. */
function liveItem(owner: string, items: RawItem[], contact: string): StoredItem | undefined {
  const raw = items.find((i) => i.jid === contact);
  if (!raw) return undefined;
  const item = decodeItem(owner, raw);
  return item.removed ? undefined : item;
}

function toItem(i: RosterItem): RosterItem {
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
