import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { StorageUnavailableError } from '../ports/errors.js';
import type { Roster, RosterChange, RosterItem, RostersRepository } from '../ports/rosters.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { decodeRecord, type RecordCodec } from './mongo-record.js';
import { isDuplicateKey, sleep } from './mongo-retry.js';

const COLLECTION = 'rosters';

/** Removed items remembered for roster versioning (RFC 6121 §2.6); older removals force a full push. */
const MAX_TOMBSTONES = 200;
/** Write tokens remembered, so a writer whose reply was lost can tell its write landed. */
const RECENT_WRITES = 32;
/** Lost optimistic-concurrency races before giving up on one change (the caller bounces). */
const MAX_CONFLICTS = 100;

/** One document per owner: `_id` is the owner, so no extra index. */
export const ROSTERS_INDEXES: CollectionIndexes = { collection: COLLECTION, indexes: [] };

const item = z.object({
  jid: z.string(),
  name: z.string().optional(),
  subscription: z.enum(['none', 'to', 'from', 'both']),
  askOut: z.boolean(),
  askIn: z.boolean(),
  approved: z.boolean(),
  groups: z.array(z.string()),
  pendingInStanza: z.string().optional(),
  /** Roster version of the item's last change. */
  ver: z.number().int().min(1),
  /** A tombstone: the item was removed at `ver`. */
  removed: z.boolean().optional(),
});
type StoredItem = z.infer<typeof item>;

const stored = z.object({
  version: z.number().int().min(0),
  /** Changes at or below this version are forgotten (pruned tombstones). */
  floor: z.number().int().min(0),
  /** Random token of the last write; `recent` holds the last RECENT_WRITES of them. */
  rev: z.string(),
  recent: z.array(z.string()),
  items: z.array(item),
});
type StoredRoster = z.infer<typeof stored>;

const codec: RecordCodec<StoredRoster> = { kind: 'roster', version: 1, shape: stored };

interface RosterDoc extends StoredRoster {
  _id: string;
  schema: number;
}

/**
 * One document per owner holding every item and a version. A change is read-modify-write guarded by
 * the version (optimistic concurrency): two routers changing the same roster at once never lose an
 * update, the loser re-reads and re-applies its `mutate`. No multi-document transactions needed.
 */
export class MongoRostersRepository implements RostersRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<RosterDoc>(COLLECTION);
  }

  async get(owner: string): Promise<Roster> {
    const r = await this.load(owner);
    return { owner, version: r.version, items: r.items.filter((i) => !i.removed).map(toItem) };
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    const r = await this.load(owner);
    const found = r.items.find((i) => i.jid === contact && !i.removed);
    return found && toItem(found);
  }

  async modify(
    owner: string,
    contact: string,
    mutate: (current: RosterItem | undefined) => RosterItem | undefined,
  ): Promise<RosterChange | undefined> {
    const ours = new Map<string, RosterChange>();
    for (let conflict = 0; conflict < MAX_CONFLICTS; conflict++) {
      const doc = await this.ctx.retry.run(`read roster of ${owner}`, () => this.col.findOne({ _id: owner }));
      const current = doc ? this.decode(owner, doc) : undefined;
      // an earlier attempt was stored although its reply was lost: do not apply it twice
      const landed = current?.recent.find((rev) => ours.has(rev));
      if (landed) return ours.get(landed);
      const base = current ?? empty();
      const existing = base.items.find((i) => i.jid === contact && !i.removed);
      const before = existing && toItem(existing);
      const after = mutate(before);
      if (after === before) return undefined;
      const version = base.version + 1;
      const change: RosterChange = after
        ? { version, item: { ...toItem(after), jid: contact }, removed: false }
        : { version, item: before!, removed: true };
      const next = withChange(base, contact, change);
      ours.set(next.rev, change);
      if (await this.write(owner, current, next)) return change;
      await sleep(Math.random() * Math.min(2 ** conflict, 50));
    }
    throw new StorageUnavailableError(`roster of ${owner}: gave up after ${MAX_CONFLICTS} concurrent changes`);
  }

  async changesSince(owner: string, version: number): Promise<RosterChange[] | undefined> {
    const r = await this.load(owner);
    if (version > r.version || version < r.floor) return undefined;
    return r.items
      .filter((i) => i.ver > version)
      .sort((a, b) => a.ver - b.ver)
      .map((i) => ({ version: i.ver, item: toItem(i), removed: i.removed === true }));
  }

  async deleteAll(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete roster of ${owner}`, () => this.col.deleteOne({ _id: owner }));
  }

  private async load(owner: string): Promise<StoredRoster> {
    const doc = await this.ctx.retry.run(`read roster of ${owner}`, () => this.col.findOne({ _id: owner }));
    return doc ? this.decode(owner, doc) : empty();
  }

  private decode(owner: string, doc: RosterDoc): StoredRoster {
    return decodeRecord(codec, owner, doc as unknown as Record<string, unknown>);
  }

  /** Stores `next` if nobody changed the roster since `current` was read; false = lost the race. */
  private async write(owner: string, current: StoredRoster | undefined, next: StoredRoster): Promise<boolean> {
    return this.ctx.retry.run(`write roster of ${owner}`, async () => {
      if (!current) {
        try {
          await this.col.insertOne({ _id: owner, schema: codec.version, ...next });
          return true;
        } catch (err) {
          if (isDuplicateKey(err)) return false;
          throw err;
        }
      }
      const r = await this.col.updateOne(
        { _id: owner, version: current.version, rev: current.rev },
        { $set: { schema: codec.version, ...next } },
      );
      return r.matchedCount === 1;
    });
  }
}

/** The roster after one change, tombstones pruned to MAX_TOMBSTONES. */
function withChange(base: StoredRoster, contact: string, change: RosterChange): StoredRoster {
  const entry: StoredItem = { ...change.item, jid: contact, ver: change.version };
  if (change.removed) entry.removed = true;
  const items = base.items.filter((i) => i.jid !== contact);
  const at = base.items.findIndex((i) => i.jid === contact);
  items.splice(at < 0 ? items.length : at, 0, entry);
  let floor = base.floor;
  const tombstones = items.filter((i) => i.removed).sort((a, b) => a.ver - b.ver);
  const drop = new Set<StoredItem>();
  for (const t of tombstones.slice(0, Math.max(0, tombstones.length - MAX_TOMBSTONES))) {
    drop.add(t);
    floor = Math.max(floor, t.ver);
  }
  const rev = randomUUID();
  return {
    version: change.version,
    floor,
    rev,
    recent: [...base.recent.slice(-(RECENT_WRITES - 1)), rev],
    items: drop.size ? items.filter((i) => !drop.has(i)) : items,
  };
}

function empty(): StoredRoster {
  return { version: 0, floor: 0, rev: '', recent: [], items: [] };
}

function toItem(i: Omit<StoredItem, 'ver' | 'removed'> & { ver?: number; removed?: boolean }): RosterItem {
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
