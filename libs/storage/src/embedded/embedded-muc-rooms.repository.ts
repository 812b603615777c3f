import { StorageConflictError, StorageRecordError } from '../ports/errors.js';
import { decodeMucRoom, encodeMucRoom } from '../ports/muc-room-codec.js';
import { roomService, type MucRoomPage, type MucRoomRecord, type MucRoomsRepository } from '../ports/muc-rooms.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Row {
  jid: string;
  data: string;
}

/**
 * XEP-0045 rooms: one row per room with the record as JSON; `service` and `public` serve the room
 * list, `muc_room_owners` the per-user room count.
 */
export class EmbeddedMucRoomsRepository implements MucRoomsRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async get(jid: string): Promise<MucRoomRecord | undefined> {
    const row = this.db.read((db) => db.prepare('SELECT jid, data FROM muc_rooms WHERE jid = ?').get(jid) as Row | undefined);
    return row ? decode(row) : undefined;
  }

  async create(room: MucRoomRecord): Promise<void> {
    this.db.write((db) => {
      const res = db
        .prepare('INSERT INTO muc_rooms (jid, service, public, data) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(room.jid, roomService(room.jid), room.config.public ? 1 : 0, encodeMucRoom(room));
      if (res.changes === 0) throw new StorageConflictError(`room ${room.jid} exists`);
      setOwners(db, room);
    });
  }

  async put(room: MucRoomRecord): Promise<void> {
    this.db.write((db) => {
      db.prepare(
        'INSERT INTO muc_rooms (jid, service, public, data) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET public = excluded.public, data = excluded.data',
      ).run(room.jid, roomService(room.jid), room.config.public ? 1 : 0, encodeMucRoom(room));
      setOwners(db, room);
    });
  }

  async delete(jid: string): Promise<boolean> {
    return this.db.write((db) => {
      db.prepare('DELETE FROM muc_room_owners WHERE room = ?').run(jid);
      return db.prepare('DELETE FROM muc_rooms WHERE jid = ?').run(jid).changes > 0;
    });
  }

  async list(service: string, opts: { publicOnly: boolean; after?: string; max: number }): Promise<MucRoomPage> {
    return this.db.snapshot((db) => {
      const pub = opts.publicOnly ? ' AND public = 1' : '';
      const count = (db.prepare(`SELECT COUNT(*) AS n FROM muc_rooms WHERE service = ?${pub}`).get(service) as { n: number }).n;
      const rows = db
        .prepare(`SELECT jid, data FROM muc_rooms WHERE service = ?${pub} AND jid > ? ORDER BY jid LIMIT ?`)
        .all(service, opts.after ?? '', opts.max) as unknown as Row[];
      return { rooms: rows.map(decode), count };
    });
  }

  async countOwnedBy(bare: string): Promise<number> {
    return this.db.read((db) => (db.prepare('SELECT COUNT(*) AS n FROM muc_room_owners WHERE owner = ?').get(bare) as { n: number }).n);
  }
}

function setOwners(db: Parameters<Parameters<EmbeddedDatabase['write']>[0]>[0], room: MucRoomRecord): void {
  db.prepare('DELETE FROM muc_room_owners WHERE room = ?').run(room.jid);
  const insert = db.prepare('INSERT OR IGNORE INTO muc_room_owners (owner, room) VALUES (?, ?)');
  for (const a of room.affiliations) if (a.affiliation === 'owner') insert.run(a.jid, room.jid);
}

function decode(row: Row): MucRoomRecord {
  try {
    return decodeMucRoom(row.data);
  } catch (err) {
    throw new StorageRecordError(`muc room ${row.jid}: corrupted record (${(err as Error).message.slice(0, 200)})`);
  }
}
