import type { VcardsRepository } from '../ports/vcards.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

/** XEP-0054 vCards: one XML document per owner. */
export class EmbeddedVcardsRepository implements VcardsRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async get(owner: string): Promise<string | undefined> {
    return this.db.read((db) => (db.prepare('SELECT xml FROM vcards WHERE owner = ?').get(owner) as { xml: string } | undefined)?.xml);
  }

  async set(owner: string, xml: string): Promise<void> {
    this.db.read((db) => db.prepare('INSERT INTO vcards (owner, xml) VALUES (?, ?) ON CONFLICT DO UPDATE SET xml = excluded.xml').run(owner, xml));
  }

  async delete(owner: string): Promise<void> {
    this.db.read((db) => db.prepare('DELETE FROM vcards WHERE owner = ?').run(owner));
  }
}
