import { randomBytes } from 'node:crypto';
import { KvConflictError, buckets, partitionOf, type Bus, type KvBucket, type KvEntry } from '#libs/bus';
import type { MucConfig } from '#libs/config';
import type { MucRoomConfig, MucRoomRecord, Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import {
  LIVE_VERSION,
  fromSingleValue,
  liveKeys,
  messageRecord,
  rebuild,
  ringSize,
  type LiveHead,
  type LiveOp,
  type MessageRecord,
  type MessageValue,
  type OccupantValue,
} from './live-layout.js';
import { emptyLiveState, newOccupantId, type LiveState, type Occupant } from './room-state.js';
import { Room } from './room.js';

interface Cached {
  record: MucRoomRecord;
  live: LiveState;
  /** KV revision of the head (0: nothing stored yet) and its commit count. */
  headRevision: number;
  gen: number;
  /** KV revisions of the room's occupant and message keys as last read or written. */
  revisions: Map<string, number>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
const json = (v: unknown): Uint8Array => utf8.encode(JSON.stringify(v));

/** The live state changed under us: another replica owned the room meanwhile. The frame fails and is retried. */
export class RoomMovedError extends Error {
  override readonly name = 'RoomMovedError';
}

/** Counters of what the store wrote to the KV (glider_muc_kv_* metrics, and the specs' cost checks). */
export interface LiveWrites {
  writes: number;
  bytes: number;
}

/**
 * Rooms of the partitions this replica owns: records from storage (`Storage.mucRooms`), live state
 * from the bus KV (`buckets.mucRooms`, laid out per occupant and per message: live-layout.ts), both
 * cached while the partition is ours. A frame commits what it changed with compare-and-set on the
 * room's head, so a replica that lost a room to another cannot overwrite what the new owner wrote;
 * `evict` drops what is no longer ours, and the next owner rebuilds the room from the KV —
 * occupants stay joined across a move (docs/storage.md). The cached live state is the one handlers
 * change (no copy per frame): a frame that fails drops the room from the cache (`forget`).
 */
export class RoomStore {
  private readonly cache = new Map<string, Cached>();
  private kv?: KvBucket;
  readonly writes: LiveWrites = { writes: 0, bytes: 0 };
  private readonly ring: number;

  constructor(
    private readonly bus: Bus,
    private readonly storage: Storage,
    private readonly muc: MucConfig,
    private readonly partitions: number,
    private readonly logger: Logger,
  ) {
    this.ring = ringSize(muc.maxHistoryLength, muc.resendWindow);
  }

  async start(): Promise<void> {
    this.kv = await this.bus.kv(buckets.mucRooms);
  }

  /** The room, or undefined when it does not exist. */
  async open(jid: string): Promise<Room | undefined> {
    let c = this.cache.get(jid);
    if (!c) {
      const record = await this.storage.mucRooms.get(jid);
      if (!record) return undefined;
      c = await this.load(jid, record);
      this.cache.set(jid, c);
    }
    const room = new Room(jid, c.record, c.live);
    if (c.gen === 0 && c.headRevision > 0) {
      // a state in the first layout (one value): written whole in the new one at the next save
      for (const o of c.live.occupants) room.changedOccupant(o);
      for (const h of c.live.history) room.changedMessage(h.seq);
      for (const r of c.live.recent ?? []) room.changedMessage(r.seq);
    }
    return room;
  }

  /** A frame on the room failed: what it changed in the cached state is not kept. */
  forget(jid: string): void {
    this.cache.delete(jid);
  }

  /**
   * Reads the head, then the occupant and message keys; keys older than the head's commit get its
   * ops (the last committer may have died before writing them) — written back, so the keys agree.
   */
  private async load(jid: string, record: MucRoomRecord): Promise<Cached> {
    const kv = this.kv!;
    const headEntry = await kv.get(liveKeys.head(jid));
    const revisions = new Map<string, number>();
    if (!headEntry || headEntry.value.length === 0) return { record, live: emptyLiveState(), headRevision: 0, gen: 0, revisions };
    const head = JSON.parse(fromUtf8.decode(headEntry.value)) as LiveHead | Parameters<typeof fromSingleValue>[0];
    if (!('v' in head) || head.v !== LIVE_VERSION) {
      return {
        record,
        live: fromSingleValue(head as Parameters<typeof fromSingleValue>[0], newOccupantId),
        headRevision: headEntry.revision,
        gen: 0,
        revisions,
      };
    }
    const occupants = new Map<string, { gen: number; occ: Occupant }>();
    const messages = new Map<number, { gen: number; msg: MessageRecord }>();
    const parts = (await Promise.all((await kv.keys(liveKeys.parts(jid))).map((k) => kv.get(k)))).filter((e): e is KvEntry => e !== undefined);
    const prefix = liveKeys.head(jid).length + 1;
    for (const e of parts) {
      if (e.operation !== 'PUT' || e.value.length === 0) continue;
      const rest = e.key.slice(prefix);
      revisions.set(e.key, e.revision);
      if (rest.startsWith('o.')) {
        const v = JSON.parse(fromUtf8.decode(e.value)) as OccupantValue;
        occupants.set(v.occ.id, v);
      } else if (rest.startsWith('m.')) {
        const v = JSON.parse(fromUtf8.decode(e.value)) as MessageValue;
        messages.set(Number(rest.slice(2)), v);
      }
    }
    // the head's ops are committed: keys that do not have them yet get them now
    const repairs: LiveOp[] = [];
    for (const op of head.ops) {
      if ('o' in op) {
        const now = occupants.get(op.o);
        if (now && now.gen >= head.gen) continue;
        if (op.occ) occupants.set(op.o, { gen: head.gen, occ: op.occ });
        else if (!now && !revisions.has(liveKeys.occupant(jid, op.o))) continue;
        else occupants.delete(op.o);
      } else {
        const now = messages.get(op.m);
        if (now && now.gen >= head.gen) continue;
        messages.set(op.m, { gen: head.gen, msg: op.msg });
      }
      repairs.push(op);
    }
    const c: Cached = { record, live: emptyLiveState(), headRevision: headEntry.revision, gen: head.gen, revisions };
    if (repairs.length > 0) {
      this.logger.info({ room: jid, keys: repairs.length }, 'room live state: writing what its last owner committed and did not write');
      if (!(await this.materialize(jid, c, head.gen, repairs))) throw new RoomMovedError(`room ${jid}: its live state could not be repaired; it is read again`);
    }
    c.live = rebuild(
      [...occupants.values()].map((v) => v.occ),
      [...messages.values()].map((v) => v.msg),
      head.seq,
      { historyLength: record.config.historyLength, maxHistoryBytes: this.muc.maxHistoryBytes, resendWindow: this.muc.resendWindow },
    );
    return c;
  }

  /** A new, locked room owned by `owner` (XEP-0045 §10.1.1); not stored until `save`. */
  newRoom(jid: string, owner: string, locked: boolean): Room {
    const record: MucRoomRecord = {
      jid,
      config: this.defaultConfig(jid),
      affiliations: [{ jid: owner, affiliation: 'owner' }],
      locked,
      salt: randomBytes(16).toString('base64url'),
      createdAt: new Date(),
    };
    const room = new Room(jid, record, emptyLiveState());
    room.created = true;
    room.recordChanged = true;
    return room;
  }

  defaultConfig(jid: string): MucRoomConfig {
    return {
      name: jid.slice(0, jid.indexOf('@')),
      description: '',
      persistent: false,
      public: true,
      membersOnly: false,
      moderated: false,
      password: '',
      maxUsers: 0,
      whois: 'moderators',
      historyLength: Math.min(this.muc.defaultHistoryLength, this.muc.maxHistoryLength),
      allowPm: 'anyone',
      allowInvites: false,
      changeSubject: false,
      enableLogging: this.muc.archiveRooms && this.muc.defaultEnableLogging,
    };
  }

  /**
   * Writes what the frame changed: the record to storage; the live state's changes to the KV — the
   * head with compare-and-set (the commit), then the occupants' and messages' own keys.
   */
  async save(room: Room): Promise<void> {
    if (room.gone) return this.remove(room.jid);
    if (room.recordChanged) {
      if (room.created) await this.storage.mucRooms.create(room.record);
      else await this.storage.mucRooms.put(room.record);
    }
    const cached = room.created ? undefined : this.cache.get(room.jid);
    const c: Cached = cached ?? { record: room.record, live: room.live, headRevision: 0, gen: 0, revisions: new Map() };
    c.record = room.record;
    c.live = room.live;
    if (room.liveChanged || room.created) {
      const ops = this.opsOf(room);
      const gen = c.gen + 1;
      const head: LiveHead = { v: LIVE_VERSION, gen, seq: room.live.seq, ops };
      const value = json(head);
      try {
        const key = liveKeys.head(room.jid);
        // A new room (its record just created, so it is ours) overwrites what a room of that name left.
        if (room.created) c.headRevision = await this.kv!.put(key, value);
        else c.headRevision = c.headRevision === 0 ? await this.kv!.create(key, value) : await this.kv!.update(key, value, c.headRevision);
        this.count(value);
      } catch (err) {
        this.cache.delete(room.jid);
        if (err instanceof KvConflictError) throw new RoomMovedError(`room ${room.jid} changed elsewhere; it is read again`);
        throw err;
      }
      c.gen = gen;
      // Committed: the frame's deliveries go out even if a key was not written (the next read of
      // the room, from the head that has the ops, writes it).
      if (!(await this.materialize(room.jid, c, gen, ops))) return this.forget(room.jid);
    }
    this.cache.set(room.jid, c);
  }

  private opsOf(room: Room): LiveOp[] {
    const ops: LiveOp[] = [];
    for (const id of room.removedOccupants) ops.push({ o: id, occ: null });
    for (const occ of room.changedOccupants) ops.push({ o: occ.id, occ });
    const oldest = room.live.seq - this.ring;
    for (const seq of room.changedMessages) {
      const msg = seq > oldest ? messageRecord(room.live, seq) : undefined;
      if (msg) ops.push({ m: seq % this.ring, msg });
    }
    return ops;
  }

  /**
   * Writes committed ops to their keys, each with compare-and-set on the revision this replica
   * knows. A key that moved on is read: left alone when a later commit wrote it, else written over.
   * False when a key could not be written (the caller reads the room again, from the head).
   */
  private async materialize(jid: string, c: Cached, gen: number, ops: LiveOp[]): Promise<boolean> {
    const done = await Promise.all(
      ops.map(async (op) => {
        const key = 'o' in op ? liveKeys.occupant(jid, op.o) : liveKeys.slot(jid, op.m);
        const value = 'o' in op ? (op.occ ? json({ gen, occ: op.occ }) : undefined) : json({ gen, msg: op.msg });
        try {
          for (let attempt = 0; attempt < 2; attempt++) {
            const revision = c.revisions.get(key);
            try {
              if (!value) {
                if (revision !== undefined) await this.kv!.delete(key, revision);
                c.revisions.delete(key);
                this.count(undefined);
              } else {
                c.revisions.set(key, revision === undefined ? await this.kv!.create(key, value) : await this.kv!.update(key, value, revision));
                this.count(value);
              }
              return true;
            } catch (err) {
              if (!(err instanceof KvConflictError)) throw err;
              const now = await this.kv!.get(key);
              if (now && (JSON.parse(fromUtf8.decode(now.value)) as { gen: number }).gen > gen) return true;
              if (now) c.revisions.set(key, now.revision);
              else c.revisions.delete(key);
            }
          }
          this.logger.warn({ room: jid, key }, 'room live state: a key kept moving while written');
        } catch (err) {
          this.logger.warn({ err, room: jid, key }, 'room live state: a key not written');
        }
        return false;
      }),
    );
    return done.every(Boolean);
  }

  private count(value: Uint8Array | undefined): void {
    this.writes.writes++;
    this.writes.bytes += value?.length ?? 0;
  }

  private async remove(jid: string): Promise<void> {
    this.cache.delete(jid);
    await this.storage.mucRooms.delete(jid);
    // a room that is gone takes its archive (XEP-0313) with it: a new room of that name starts empty
    await this.storage.archive.deleteAll(jid);
    try {
      await this.kv!.delete(liveKeys.head(jid));
      await this.kv!.purgeUpTo(liveKeys.parts(jid), Number.MAX_SAFE_INTEGER);
    } catch (err) {
      this.logger.warn({ err, room: jid }, 'room live state not deleted');
    }
  }

  /** Forgets rooms whose partition this replica no longer owns (their next owner reads the KV). */
  evict(owned: ReadonlySet<number>): void {
    for (const jid of this.cache.keys()) if (!owned.has(partitionOf(jid, this.partitions))) this.cache.delete(jid);
  }

  cachedRooms(): number {
    return this.cache.size;
  }
}
