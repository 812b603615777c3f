import { StorageLimitError } from '../ports/errors.js';
import type { BlocklistRepository } from '../ports/blocklist.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

/** XEP-0191 blocklists: one row per (owner, jid); `seq` keeps the order of blocking. */
export class EmbeddedBlocklistRepository implements BlocklistRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async list(owner: string): Promise<string[]> {
    const rows = this.db.read((db) => db.prepare('SELECT jid FROM blocklist WHERE owner = ? ORDER BY seq').all(owner) as { jid: string }[]);
    return rows.map((r) => r.jid);
  }

  async add(owner: string, jids: readonly string[], maxItems: number): Promise<void> {
    this.db.write((db) => {
      // one writer at a time (db.write): the count and the inserts cannot interleave with another block
      const have = new Set((db.prepare('SELECT jid FROM blocklist WHERE owner = ?').all(owner) as { jid: string }[]).map((r) => r.jid));
      const fresh = [...new Set(jids)].filter((j) => !have.has(j));
      if (have.size + fresh.length > maxItems) throw new StorageLimitError(`blocklist of ${owner} would exceed ${maxItems} items`);
      const next = (db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM blocklist WHERE owner = ?').get(owner) as { n: number }).n;
      const insert = db.prepare('INSERT INTO blocklist (owner, jid, seq) VALUES (?, ?, ?)');
      fresh.forEach((jid, i) => insert.run(owner, jid, next + i + 1));
    });
  }

  async remove(owner: string, jids: readonly string[]): Promise<void> {
    this.db.write((db) => {
      const del = db.prepare('DELETE FROM blocklist WHERE owner = ? AND jid = ?');
      for (const jid of jids) del.run(owner, jid);
    });
  }

  async deleteAll(owner: string): Promise<void> {
    this.db.read((db) => db.prepare('DELETE FROM blocklist WHERE owner = ?').run(owner));
  }
}
