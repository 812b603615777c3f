import { StorageLimitError } from '../ports/errors.js';
import { offlineQuotaOf, type OfflineMessage, type OfflineQuota, type OfflineRepository } from '../ports/offline.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Row {
  seq: number;
  xml: string;
  stored_at: number;
}

export class EmbeddedOfflineRepository implements OfflineRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async push(owner: string, xml: string, quota: number | OfflineQuota): Promise<number> {
    const { messages, bytes } = offlineQuotaOf(quota);
    const size = Buffer.byteLength(xml, 'utf8');
    return this.db.write((db) => {
      // one writer at a time (db.write): the check and the insert below cannot interleave
      const { n } = db.prepare('SELECT COUNT(*) AS n FROM offline WHERE owner = ?').get(owner) as { n: number };
      const used = (db.prepare('SELECT bytes FROM offline_usage WHERE owner = ?').get(owner) as { bytes: number } | undefined)?.bytes ?? 0;
      if (n >= messages) throw new StorageLimitError(`offline storage of ${owner} is full (${messages} messages)`);
      if (used + size > bytes) throw new StorageLimitError(`offline storage of ${owner} is full (${bytes} bytes)`);
      const { next } = db
        .prepare('INSERT INTO offline_seq (owner, next) VALUES (?, 2) ON CONFLICT DO UPDATE SET next = next + 1 RETURNING next')
        .get(owner) as { next: number };
      const seq = next - 1;
      db.prepare('INSERT INTO offline (owner, seq, xml, stored_at) VALUES (?, ?, ?, ?)').run(owner, seq, xml, Date.now());
      db.prepare('INSERT INTO offline_usage (owner, bytes) VALUES (?, ?) ON CONFLICT DO UPDATE SET bytes = bytes + excluded.bytes').run(owner, size);
      return seq;
    });
  }

  async list(owner: string, limit = -1): Promise<OfflineMessage[]> {
    const rows = this.db.read(
      (db) => db.prepare('SELECT seq, xml, stored_at FROM offline WHERE owner = ? ORDER BY seq LIMIT ?').all(owner, limit) as unknown as Row[],
    );
    return rows.map((r) => ({ seq: r.seq, owner, xml: r.xml, storedAt: new Date(r.stored_at) }));
  }

  async remove(owner: string, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return;
    this.db.write((db) => {
      const stmt = db.prepare('DELETE FROM offline WHERE owner = ? AND seq = ? RETURNING LENGTH(CAST(xml AS BLOB)) AS size');
      let freed = 0;
      for (const seq of seqs) freed += (stmt.get(owner, seq) as { size: number } | undefined)?.size ?? 0;
      if (freed > 0) db.prepare('UPDATE offline_usage SET bytes = MAX(0, bytes - ?) WHERE owner = ?').run(freed, owner);
    });
  }

  async count(owner: string): Promise<number> {
    return this.db.read((db) => (db.prepare('SELECT COUNT(*) AS n FROM offline WHERE owner = ?').get(owner) as { n: number }).n);
  }

  async deleteAll(owner: string): Promise<void> {
    // offline_seq stays: a seq is never given out twice, even across a delete
    this.db.write((db) => {
      db.prepare('DELETE FROM offline WHERE owner = ?').run(owner);
      db.prepare('DELETE FROM offline_usage WHERE owner = ?').run(owner);
    });
  }
}
