import { StorageLimitError, StorageRecordError } from '../ports/errors.js';
import type { PubSubItemRecord, PubSubItemsQuery, PubSubNodeRecord, PubSubRepository } from '../ports/pubsub.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface NodeRow {
  node: string;
  data: string;
}
interface ItemRow {
  id: string;
  publisher: string;
  published_at: number;
  payload: string;
}

/** XEP-0060 nodes (one row each, JSON) and items (one row each, ordered by seq). */
export class EmbeddedPubSubRepository implements PubSubRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async node(service: string, node: string): Promise<PubSubNodeRecord | undefined> {
    const row = this.db.read(
      (db) => db.prepare('SELECT node, data FROM pubsub_nodes WHERE service = ? AND node = ?').get(service, node) as NodeRow | undefined,
    );
    return row && decodeNode(service, row);
  }

  async nodes(service: string): Promise<PubSubNodeRecord[]> {
    const rows = this.db.read((db) => db.prepare('SELECT node, data FROM pubsub_nodes WHERE service = ? ORDER BY node').all(service) as unknown as NodeRow[]);
    return rows.map((r) => decodeNode(service, r));
  }

  async modifyNode(
    service: string,
    node: string,
    mutate: (current: PubSubNodeRecord | undefined) => PubSubNodeRecord | undefined,
    maxNodes: number,
  ): Promise<PubSubNodeRecord | undefined> {
    return this.db.write((db) => {
      const row = db.prepare('SELECT node, data FROM pubsub_nodes WHERE service = ? AND node = ?').get(service, node) as NodeRow | undefined;
      const current = row && decodeNode(service, row);
      const next = mutate(current);
      if (!next) return current;
      if (!current) {
        const { n } = db.prepare('SELECT COUNT(*) AS n FROM pubsub_nodes WHERE service = ?').get(service) as { n: number };
        if (n >= maxNodes) throw new StorageLimitError(`${service} already holds ${maxNodes} nodes`);
      }
      db.prepare('INSERT OR REPLACE INTO pubsub_nodes (service, node, data) VALUES (?, ?, ?)').run(service, node, encodeNode(next));
      return next;
    });
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    return this.db.write((db) => {
      db.prepare('DELETE FROM pubsub_items WHERE service = ? AND node = ?').run(service, node);
      return Number(db.prepare('DELETE FROM pubsub_nodes WHERE service = ? AND node = ?').run(service, node).changes) > 0;
    });
  }

  async publish(service: string, node: string, item: PubSubItemRecord, maxItems: number): Promise<string[]> {
    return this.db.write((db) => {
      const { n } = db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM pubsub_items WHERE service = ? AND node = ?').get(service, node) as { n: number };
      db.prepare('INSERT OR REPLACE INTO pubsub_items (service, node, id, seq, publisher, published_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
        service,
        node,
        item.id,
        n + 1,
        item.publisher,
        item.publishedAt.getTime(),
        item.payload,
      );
      const old = db.prepare('SELECT id FROM pubsub_items WHERE service = ? AND node = ? ORDER BY seq DESC LIMIT -1 OFFSET ?').all(service, node, maxItems) as {
        id: string;
      }[];
      const del = db.prepare('DELETE FROM pubsub_items WHERE service = ? AND node = ? AND id = ?');
      for (const r of old) del.run(service, node, r.id);
      return old.map((r) => r.id);
    });
  }

  async items(service: string, node: string, query: PubSubItemsQuery = {}): Promise<PubSubItemRecord[]> {
    const rows = this.db.read(
      (db) =>
        db
          .prepare('SELECT id, publisher, published_at, payload FROM pubsub_items WHERE service = ? AND node = ? ORDER BY seq DESC')
          .all(service, node) as unknown as ItemRow[],
    );
    let out = rows.map(decodeItem);
    if (query.ids) {
      const wanted = new Set(query.ids);
      out = out.filter((i) => wanted.has(i.id));
    }
    return query.max !== undefined ? out.slice(0, query.max) : out;
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    return this.db.read((db) => Number(db.prepare('DELETE FROM pubsub_items WHERE service = ? AND node = ? AND id = ?').run(service, node, id).changes) > 0);
  }

  async purge(service: string, node: string): Promise<void> {
    this.db.read((db) => db.prepare('DELETE FROM pubsub_items WHERE service = ? AND node = ?').run(service, node));
  }

  async deleteService(service: string): Promise<void> {
    this.db.write((db) => {
      db.prepare('DELETE FROM pubsub_items WHERE service = ?').run(service);
      db.prepare('DELETE FROM pubsub_nodes WHERE service = ?').run(service);
    });
  }
}

function encodeNode(r: PubSubNodeRecord): string {
  return JSON.stringify({
    creator: r.creator,
    createdAt: r.createdAt.getTime(),
    config: r.config,
    affiliations: r.affiliations,
    subscriptions: r.subscriptions,
  });
}

function decodeNode(service: string, row: NodeRow): PubSubNodeRecord {
  try {
    const d = JSON.parse(row.data) as Omit<PubSubNodeRecord, 'createdAt' | 'service' | 'node'> & { createdAt: number };
    return {
      service,
      node: row.node,
      creator: d.creator,
      createdAt: new Date(d.createdAt),
      config: d.config,
      affiliations: d.affiliations,
      subscriptions: d.subscriptions,
    };
  } catch (err) {
    throw new StorageRecordError(`pubsub node ${service} ${row.node} is unreadable`, { cause: err });
  }
}

function decodeItem(r: ItemRow): PubSubItemRecord {
  return { id: r.id, publisher: r.publisher, publishedAt: new Date(r.published_at), payload: r.payload };
}
