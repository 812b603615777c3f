import type { DatabaseSync } from 'node:sqlite';
import { StorageRecordError } from '../ports/errors.js';
import type { Roster, RosterChange, RosterItem, RostersRepository } from '../ports/rosters.repository.js';
import { parseJsonRecord, rosterItemRecord, validateRosterItem } from '../record-validation.js';
import type { EmbeddedDatabase } from './embedded-database.js';

/** How many changes per owner the history keeps for roster versioning. */
export const ROSTER_HISTORY = 500;

interface VersionRow {
  version: number;
  floor: number;
}

export class EmbeddedRostersRepository implements RostersRepository {
  constructor(
    private readonly db: EmbeddedDatabase,
    private readonly onBadRecord: (err: StorageRecordError) => void,
  ) {}

  async get(owner: string): Promise<Roster> {
    return this.db.snapshot((db) => {
      const version = versionOf(db, owner).version;
      const rows = db.prepare('SELECT contact, data FROM roster_items WHERE owner = ? ORDER BY contact').all(owner) as unknown as ItemRow[];
      const items: RosterItem[] = [];
      for (const row of rows) {
        try {
          items.push(toItem(owner, row));
        } catch (err) {
          if (!(err instanceof StorageRecordError)) throw err;
          this.onBadRecord(err);
        }
      }
      return { owner, version, items };
    });
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | undefined> {
    return this.db.read((db) => readItem(db, owner, contact));
  }

  async modify(owner: string, contact: string, mutate: (current: RosterItem | undefined) => RosterItem | undefined): Promise<RosterChange | undefined> {
    return this.db.write((db) => {
      const current = readItem(db, owner, contact);
      const next = mutate(current);
      if (next === current) return undefined;
      const { version: previous, floor } = versionOf(db, owner);
      const version = previous + 1;
      const removed = next === undefined;
      const item = rosterItemRecord(removed ? current! : { ...next, jid: contact });
      const data = JSON.stringify(item);
      if (removed) db.prepare('DELETE FROM roster_items WHERE owner = ? AND contact = ?').run(owner, contact);
      else {
        db.prepare('INSERT INTO roster_items (owner, contact, data) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET data = excluded.data').run(owner, contact, data);
      }
      db.prepare('INSERT INTO roster_changes (owner, version, contact, data, removed) VALUES (?, ?, ?, ?, ?)').run(
        owner,
        version,
        contact,
        data,
        removed ? 1 : 0,
      );
      const newFloor = Math.max(floor, version - ROSTER_HISTORY);
      if (newFloor > floor) db.prepare('DELETE FROM roster_changes WHERE owner = ? AND version <= ?').run(owner, newFloor);
      setVersion(db, owner, version, newFloor);
      return { version, item, removed };
    });
  }

  async changesSince(owner: string, since: number): Promise<RosterChange[] | undefined> {
    return this.db.snapshot((db) => {
      const { version, floor } = versionOf(db, owner);
      if (since > version || since < floor) return undefined;
      const rows = db
        .prepare('SELECT version, contact, data, removed FROM roster_changes WHERE owner = ? AND version > ? ORDER BY version')
        .all(owner, since) as unknown as ChangeRow[];
      const latest = new Map<string, ChangeRow>();
      for (const row of rows) {
        latest.delete(row.contact);
        latest.set(row.contact, row);
      }
      return [...latest.values()].map((row) => {
        const what = `roster change ${owner} v${row.version}`;
        return { version: row.version, item: validateRosterItem(parseJsonRecord(row.data, what), what), removed: row.removed === 1 };
      });
    });
  }

  async deleteAll(owner: string): Promise<void> {
    this.db.write((db) => {
      const { version } = versionOf(db, owner);
      db.prepare('DELETE FROM roster_items WHERE owner = ?').run(owner);
      db.prepare('DELETE FROM roster_changes WHERE owner = ?').run(owner);
      // the version moves on and the history starts after it: any older version means "resend all"
      if (version > 0) setVersion(db, owner, version + 1, version + 1);
    });
  }
}

interface ItemRow {
  contact: string;
  data: string;
}

interface ChangeRow extends ItemRow {
  version: number;
  removed: number;
}

function versionOf(db: DatabaseSync, owner: string): VersionRow {
  const row = db.prepare('SELECT version, floor FROM roster_versions WHERE owner = ?').get(owner) as VersionRow | undefined;
  return row ?? { version: 0, floor: 0 };
}

function setVersion(db: DatabaseSync, owner: string, version: number, floor: number): void {
  db.prepare(
    'INSERT INTO roster_versions (owner, version, floor) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET version = excluded.version, floor = excluded.floor',
  ).run(owner, version, floor);
}

function readItem(db: DatabaseSync, owner: string, contact: string): RosterItem | undefined {
  const row = db.prepare('SELECT contact, data FROM roster_items WHERE owner = ? AND contact = ?').get(owner, contact) as ItemRow | undefined;
  return row && toItem(owner, row);
}

function toItem(owner: string, row: ItemRow): RosterItem {
  const what = `roster item ${row.contact} of ${owner}`;
  return validateRosterItem(parseJsonRecord(row.data, what), what);
}
