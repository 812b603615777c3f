import type { PrivateXmlRepository } from '../ports/private-xml.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

/** XEP-0049 private XML storage. */
export class EmbeddedPrivateXmlRepository implements PrivateXmlRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async get(owner: string, name: string, xmlns: string): Promise<string | undefined> {
    return this.db.read(
      (db) =>
        (db.prepare('SELECT xml FROM private_xml WHERE owner = ? AND name = ? AND xmlns = ?').get(owner, name, xmlns) as { xml: string } | undefined)?.xml,
    );
  }

  async set(owner: string, name: string, xmlns: string, xml: string): Promise<void> {
    this.db.read((db) =>
      db
        .prepare('INSERT INTO private_xml (owner, name, xmlns, xml) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET xml = excluded.xml')
        .run(owner, name, xmlns, xml),
    );
  }

  async deleteAll(owner: string): Promise<void> {
    this.db.read((db) => db.prepare('DELETE FROM private_xml WHERE owner = ?').run(owner));
  }
}
