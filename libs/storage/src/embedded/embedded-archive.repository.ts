import type { SQLInputValue } from 'node:sqlite';
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
import type { EmbeddedDatabase } from './embedded-database.js';
import { WriteBatcher } from './write-batcher.js';

interface Row {
  id: string;
  with_full: string;
  ts: number;
  direction: string;
  xml: string;
}

/** The archive on the embedded store (table `archive`, schema steps 5 and 10). */
export class EmbeddedArchiveRepository implements ArchiveRepository {
  /** Appends of one event-loop turn share a transaction (every message makes two). */
  private readonly appends: WriteBatcher<ArchivedMessage>;

  constructor(private readonly db: EmbeddedDatabase) {
    this.appends = new WriteBatcher(db, (d, m) =>
      d
        .prepare('INSERT INTO archive (owner, id, domain, with_bare, with_full, ts, direction, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(m.owner, m.id, ownerDomain(m.owner), bareOf(m.with), m.with, m.timestamp.getTime(), m.direction, m.xml),
    );
  }

  append(m: ArchivedMessage): Promise<void> {
    return this.appends.write(m);
  }

  /** Commits the appends of this turn now (before the database closes). */
  flushAppends(): void {
    this.appends.flushNow();
  }

  async query(owner: string, filter: ArchiveFilter, paging: ArchivePaging): Promise<ArchivePage> {
    return this.db.read((db) => {
      for (const id of [filter.afterId, filter.beforeId, paging.after, typeof paging.before === 'string' ? paging.before : undefined]) {
        if (id === undefined) continue;
        if (!db.prepare('SELECT 1 FROM archive WHERE owner = ? AND id = ?').get(owner, id)) throw new ArchiveItemNotFoundError(`no archived message ${id}`);
      }
      const where = ['owner = ?'];
      const args: SQLInputValue[] = [owner];
      if (filter.with !== undefined) {
        // a full JID: the bare JID's index, then that resource only (the archive has no index of its own for it)
        where.push('with_bare = ?');
        args.push(bareOf(filter.with));
        if (filter.with.includes('/')) {
          where.push('with_full = ?');
          args.push(filter.with);
        }
      }
      if (filter.start) {
        where.push('ts >= ?');
        args.push(filter.start.getTime());
      }
      if (filter.end) {
        where.push('ts <= ?');
        args.push(filter.end.getTime());
      }
      if (filter.afterId !== undefined) {
        where.push('id > ?');
        args.push(filter.afterId);
      }
      if (filter.beforeId !== undefined) {
        where.push('id < ?');
        args.push(filter.beforeId);
      }
      if (filter.ids) {
        // one parameter whatever the number of ids: the SQL text stays one cached statement
        where.push('id IN (SELECT value FROM json_each(?))');
        args.push(JSON.stringify(filter.ids));
      }
      const base = where.join(' AND ');
      const count = Number((db.prepare(`SELECT COUNT(*) AS n FROM archive WHERE ${base}`).get(...args) as { n: number }).n);
      if (paging.max <= 0) return { messages: [], count, complete: count === 0 };
      const page = [...where];
      const pageArgs = [...args];
      if (paging.after !== undefined) {
        page.push('id > ?');
        pageArgs.push(paging.after);
      }
      if (typeof paging.before === 'string') {
        page.push('id < ?');
        pageArgs.push(paging.before);
      }
      const backwards = paging.before !== undefined;
      const rows = db
        .prepare(`SELECT id, with_full, ts, direction, xml FROM archive WHERE ${page.join(' AND ')} ORDER BY id ${backwards ? 'DESC' : 'ASC'} LIMIT ?`)
        .all(...pageArgs, paging.max + 1) as unknown as Row[];
      const complete = rows.length <= paging.max;
      const kept = rows.slice(0, paging.max);
      if (backwards) kept.reverse();
      return { messages: kept.map((r) => toMessage(owner, r)), count, complete };
    });
  }

  async bounds(owner: string): Promise<ArchiveBounds> {
    return this.db.read((db) => {
      const one = (order: string) =>
        db.prepare(`SELECT id, ts FROM archive WHERE owner = ? ORDER BY id ${order} LIMIT 1`).get(owner) as { id: string; ts: number } | undefined;
      const first = one('ASC');
      const last = one('DESC');
      return {
        ...(first ? { first: { id: first.id, timestamp: new Date(Number(first.ts)) } } : {}),
        ...(last ? { last: { id: last.id, timestamp: new Date(Number(last.ts)) } } : {}),
      };
    });
  }

  async getPrefs(owner: string): Promise<ArchivePrefs | undefined> {
    const row = this.db.read((db) => db.prepare('SELECT data FROM archive_prefs WHERE owner = ?').get(owner)) as { data: string } | undefined;
    if (!row) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(row.data);
    } catch {
      data = undefined; // reported below as a corrupted record
    }
    return validateArchivePrefs(owner, data);
  }

  async setPrefs(owner: string, prefs: ArchivePrefs): Promise<void> {
    const data = JSON.stringify(validateArchivePrefs(owner, prefs));
    this.db.write((db) => db.prepare('INSERT INTO archive_prefs (owner, data) VALUES (?, ?) ON CONFLICT DO UPDATE SET data = excluded.data').run(owner, data));
  }

  async deleteAll(owner: string): Promise<number> {
    this.appends.flushNow(); // an append made before the delete must not land after it
    return this.db.write((db) => {
      db.prepare('DELETE FROM archive_prefs WHERE owner = ?').run(owner);
      return Number(db.prepare('DELETE FROM archive WHERE owner = ?').run(owner).changes);
    });
  }

  async deleteOlderThan(domain: string, before: Date): Promise<number> {
    return this.db.write((db) => Number(db.prepare('DELETE FROM archive WHERE domain = ? AND ts < ?').run(domain, before.getTime()).changes));
  }

  async replaceXml(owner: string, id: string, xml: string): Promise<boolean> {
    return this.db.write((db) => Number(db.prepare('UPDATE archive SET xml = ? WHERE owner = ? AND id = ?').run(xml, owner, id).changes) > 0);
  }
}

function toMessage(owner: string, r: Row): ArchivedMessage {
  return { owner, id: r.id, with: r.with_full, timestamp: new Date(Number(r.ts)), direction: r.direction === 'out' ? 'out' : 'in', xml: r.xml };
}
