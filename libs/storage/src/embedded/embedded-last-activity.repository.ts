import type { LastActivity, LastActivityRepository } from '../ports/last-activity.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

/** XEP-0012 last activity. */
export class EmbeddedLastActivityRepository implements LastActivityRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async get(owner: string): Promise<LastActivity | undefined> {
    const row = this.db.read(
      (db) => db.prepare('SELECT at, status FROM last_activity WHERE owner = ?').get(owner) as { at: number; status: string } | undefined,
    );
    return row && { at: new Date(row.at), status: row.status };
  }

  async set(owner: string, activity: LastActivity): Promise<void> {
    this.db.read((db) =>
      db
        .prepare('INSERT INTO last_activity (owner, at, status) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET at = excluded.at, status = excluded.status')
        .run(owner, activity.at.getTime(), activity.status),
    );
  }

  async delete(owner: string): Promise<void> {
    this.db.read((db) => db.prepare('DELETE FROM last_activity WHERE owner = ?').run(owner));
  }
}
