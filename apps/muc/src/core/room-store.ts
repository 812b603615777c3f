import { randomBytes } from 'node:crypto';
import { KvConflictError, buckets, keys, partitionOf, type Bus, type KvBucket } from '#libs/bus';
import type { MucConfig } from '#libs/config';
import type { MucRoomConfig, MucRoomRecord, Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { emptyLiveState, type LiveState } from './room-state.js';
import { Room } from './room.js';

interface Cached {
  record: MucRoomRecord;
  live: LiveState;
  /** KV revision of `live` (0: nothing stored yet). */
  revision: number;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The live state changed under us: another replica owned the room meanwhile. The frame fails and is retried. */
export class RoomMovedError extends Error {
  override readonly name = 'RoomMovedError';
}

/**
 * Rooms of the partitions this replica owns: records from storage (`Storage.mucRooms`), live state
 * from the bus KV (`buckets.mucRooms`, one key per room), both cached while the partition is ours.
 * Live state is written with compare-and-set on the revision read, so a replica that lost a room
 * to another cannot overwrite what the new owner wrote; `evict` drops what is no longer ours, and
 * the next owner starts from the KV — occupants stay joined across a move (docs/storage.md).
 */
export class RoomStore {
  private readonly cache = new Map<string, Cached>();
  private kv?: KvBucket;

  constructor(
    private readonly bus: Bus,
    private readonly storage: Storage,
    private readonly muc: MucConfig,
    private readonly partitions: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.kv = await this.bus.kv(buckets.mucRooms);
  }

  /** The room, or undefined when it does not exist. */
  async open(jid: string): Promise<Room | undefined> {
    let c = this.cache.get(jid);
    if (!c) {
      const record = await this.storage.mucRooms.get(jid);
      if (!record) return undefined;
      const entry = await this.kv!.get(keys.mucRoom(jid));
      const live = entry?.operation === 'PUT' && entry.value.length > 0 ? (JSON.parse(fromUtf8.decode(entry.value)) as LiveState) : emptyLiveState();
      c = { record, live, revision: entry?.operation === 'PUT' ? entry.revision : 0 };
      this.cache.set(jid, c);
    }
    return new Room(jid, c.record, structuredClone(c.live));
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
    room.liveChanged = true;
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

  /** Writes what the frame changed: the record to storage, the live state to the KV (compare-and-set). */
  async save(room: Room): Promise<void> {
    if (room.gone) return this.remove(room.jid);
    const cached = this.cache.get(room.jid);
    if (room.recordChanged) {
      if (room.created) await this.storage.mucRooms.create(room.record);
      else await this.storage.mucRooms.put(room.record);
    }
    let revision = cached?.revision ?? 0;
    if (room.liveChanged) {
      const value = utf8.encode(JSON.stringify(room.live));
      try {
        const key = keys.mucRoom(room.jid);
        // A new room (its record just created, so it is ours) overwrites what a room of that name left.
        if (room.created) revision = await this.kv!.put(key, value);
        else revision = revision === 0 ? await this.kv!.create(key, value) : await this.kv!.update(key, value, revision);
      } catch (err) {
        this.cache.delete(room.jid);
        if (err instanceof KvConflictError) throw new RoomMovedError(`room ${room.jid} changed elsewhere; it is read again`);
        throw err;
      }
    }
    this.cache.set(room.jid, { record: room.record, live: room.live, revision });
  }

  private async remove(jid: string): Promise<void> {
    this.cache.delete(jid);
    await this.storage.mucRooms.delete(jid);
    // a room that is gone takes its archive (XEP-0313) with it: a new room of that name starts empty
    await this.storage.archive.deleteAll(jid);
    await this.kv!.delete(keys.mucRoom(jid)).catch((err: unknown) => this.logger.warn({ err, room: jid }, 'room live state not deleted'));
  }

  /** Forgets rooms whose partition this replica no longer owns (their next owner reads the KV). */
  evict(owned: ReadonlySet<number>): void {
    for (const jid of this.cache.keys()) if (!owned.has(partitionOf(jid, this.partitions))) this.cache.delete(jid);
  }

  cachedRooms(): number {
    return this.cache.size;
  }
}
