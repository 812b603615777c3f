import { StorageConflictError, StorageRecordError } from '../ports/errors.js';
import { decodeMucRoom, encodeMucRoom } from '../ports/muc-room-codec.js';
import { roomService, type MucRoomPage, type MucRoomRecord, type MucRoomsRepository } from '../ports/muc-rooms.repository.js';
import { replaceOrInsert, type CollectionIndexes, type MongoContext } from './mongo-context.js';
import { isDuplicateKey } from './mongo-retry.js';

const COLLECTION = 'muc_rooms';
const SCHEMA = 1;

export const MUC_ROOMS_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [
    { key: { service: 1, public: 1, _id: 1 }, name: 'service_public_id' },
    { key: { owners: 1 }, name: 'owners' },
  ],
};

interface RoomDoc {
  /** The room JID. */
  _id: string;
  schema: number;
  service: string;
  public: boolean;
  /** Bare JIDs with the owner affiliation (the per-user room limit). */
  owners: string[];
  /** The record as JSON text, one shape for both backends (ports/muc-room-codec.ts). */
  data: string;
}

/** XEP-0045 rooms: one document per room, the record as JSON beside the fields the queries use. */
export class MongoMucRoomsRepository implements MucRoomsRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<RoomDoc>(COLLECTION);
  }

  async get(jid: string): Promise<MucRoomRecord | undefined> {
    const doc = await this.ctx.retry.run(`get muc room ${jid}`, () => this.col.findOne({ _id: jid }));
    return doc ? decode(doc) : undefined;
  }

  async create(room: MucRoomRecord): Promise<void> {
    try {
      await this.ctx.retry.run(`create muc room ${room.jid}`, () => this.col.insertOne(toDoc(room)));
    } catch (err) {
      if (isDuplicateKey(err)) throw new StorageConflictError(`room ${room.jid} exists`);
      throw err;
    }
  }

  async put(room: MucRoomRecord): Promise<void> {
    await this.ctx.retry.run(`put muc room ${room.jid}`, () => replaceOrInsert(this.col, toDoc(room)));
  }

  async delete(jid: string): Promise<boolean> {
    const res = await this.ctx.retry.run(`delete muc room ${jid}`, () => this.col.deleteOne({ _id: jid }));
    return res.deletedCount > 0;
  }

  async list(service: string, opts: { publicOnly: boolean; after?: string; max: number }): Promise<MucRoomPage> {
    const filter = { service, ...(opts.publicOnly ? { public: true } : {}) };
    const [count, docs] = await Promise.all([
      this.ctx.retry.run(`count muc rooms of ${service}`, () => this.col.countDocuments(filter)),
      // limit(0) would mean no limit: a count-only request reads no room
      opts.max === 0
        ? []
        : this.ctx.retry.run(`list muc rooms of ${service}`, () =>
            this.col
              .find({ ...filter, _id: { $gt: opts.after ?? '' } })
              .sort({ _id: 1 })
              .limit(opts.max)
              .toArray(),
          ),
    ]);
    return { rooms: docs.map(decode), count };
  }

  async countOwnedBy(bare: string): Promise<number> {
    return this.ctx.retry.run(`count muc rooms of ${bare}`, () => this.col.countDocuments({ owners: bare }));
  }
}

function toDoc(room: MucRoomRecord): RoomDoc {
  return {
    _id: room.jid,
    schema: SCHEMA,
    service: roomService(room.jid),
    public: room.config.public,
    owners: room.affiliations.filter((a) => a.affiliation === 'owner').map((a) => a.jid),
    data: encodeMucRoom(room),
  };
}

function decode(doc: RoomDoc): MucRoomRecord {
  if (doc.schema !== SCHEMA) throw new StorageRecordError(`muc room ${doc._id}: schema ${String(doc.schema)} is not ${SCHEMA}`);
  try {
    return decodeMucRoom(doc.data);
  } catch (err) {
    throw new StorageRecordError(`muc room ${doc._id}: corrupted record (${(err as Error).message.slice(0, 200)})`);
  }
}
