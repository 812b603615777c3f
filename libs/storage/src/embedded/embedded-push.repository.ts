import { StorageLimitError } from '../ports/errors.js';
import type { PushRegistration, PushRepository } from '../ports/push.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Row {
  service: string;
  node: string;
  publish_options: string | null;
  enabled_at: number;
}

/** XEP-0357 registrations: one row per (owner, service, node); `seq` keeps the order of enabling. */
export class EmbeddedPushRepository implements PushRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async list(owner: string): Promise<PushRegistration[]> {
    const rows = this.db.read(
      (db) =>
        db.prepare('SELECT service, node, publish_options, enabled_at FROM push_registrations WHERE owner = ? ORDER BY seq').all(owner) as unknown as Row[],
    );
    return rows.map((r) => ({
      service: r.service,
      node: r.node,
      ...(r.publish_options === null ? {} : { publishOptions: r.publish_options }),
      enabledAt: new Date(r.enabled_at),
    }));
  }

  async enable(owner: string, reg: PushRegistration, maxPerAccount: number): Promise<void> {
    this.db.write((db) => {
      // one writer at a time (db.write): the count and the insert cannot interleave with another enable
      const exists = db.prepare('SELECT 1 AS x FROM push_registrations WHERE owner = ? AND service = ? AND node = ?').get(owner, reg.service, reg.node);
      const publishOptions = reg.publishOptions ?? null;
      if (exists) {
        db.prepare('UPDATE push_registrations SET publish_options = ?, enabled_at = ? WHERE owner = ? AND service = ? AND node = ?').run(
          publishOptions,
          reg.enabledAt.getTime(),
          owner,
          reg.service,
          reg.node,
        );
        return;
      }
      const { n, last } = db.prepare('SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS last FROM push_registrations WHERE owner = ?').get(owner) as {
        n: number;
        last: number;
      };
      if (n + 1 > maxPerAccount) throw new StorageLimitError(`push registrations of ${owner} would exceed ${maxPerAccount}`);
      db.prepare('INSERT INTO push_registrations (owner, service, node, publish_options, enabled_at, seq) VALUES (?, ?, ?, ?, ?, ?)').run(
        owner,
        reg.service,
        reg.node,
        publishOptions,
        reg.enabledAt.getTime(),
        last + 1,
      );
    });
  }

  async disable(owner: string, service: string, node?: string): Promise<number> {
    return this.db.write((db) => {
      const r =
        node === undefined
          ? db.prepare('DELETE FROM push_registrations WHERE owner = ? AND service = ?').run(owner, service)
          : db.prepare('DELETE FROM push_registrations WHERE owner = ? AND service = ? AND node = ?').run(owner, service, node);
      return Number(r.changes);
    });
  }

  async deleteAll(owner: string): Promise<void> {
    this.db.write((db) => db.prepare('DELETE FROM push_registrations WHERE owner = ?').run(owner));
  }
}
