import { StorageConflictError, StorageLimitError } from '../ports/errors.js';
import type { PubSubItemRecord, PubSubItemsQuery, PubSubNodeRecord, PubSubRepository } from '../ports/pubsub.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { isDuplicateKey } from './mongo-retry.js';

const NODES = 'pubsub_nodes';
const ITEMS = 'pubsub_items';
/** Compare-and-set rounds one modifyNode tries before it gives up (writers of one node are rare). */
const MAX_CONFLICTS = 20;

export const PUBSUB_INDEXES: CollectionIndexes[] = [
  { collection: NODES, indexes: [{ key: { service: 1, node: 1 }, name: 'service_node' }] },
  { collection: ITEMS, indexes: [{ key: { service: 1, node: 1, seq: -1 }, name: 'service_node_seq' }] },
];

interface NodeDoc {
  /** `service node`: a service (bare JID or domain) holds no space. */
  _id: string;
  schema: number;
  service: string;
  node: string;
  /** Bumped by every change: the compare-and-set of modifyNode. */
  rev: number;
  creator: string;
  createdAt: Date;
  // Lists, not maps: JIDs and field vars hold dots, which MongoDB-wire servers refuse in field names.
  config: { var: string; values: string[] }[];
  affiliations: { jid: string; affiliation: string }[];
  subscriptions: { jid: string; subid: string; state: 'subscribed' | 'pending' }[];
}

interface ItemDoc {
  /** `service node id`, with the node's length first so no two (node, id) pairs collide. */
  _id: string;
  schema: number;
  service: string;
  node: string;
  id: string;
  /** Order of publication: a republished id gets a new one (ms since epoch × 1000 + a counter). */
  seq: number;
  publisher: string;
  publishedAt: Date;
  payload: string;
}

/**
 * XEP-0060 nodes (one document each, changed by compare-and-set on `rev`) and items (one document
 * each). Trimming to max_items reads the ids past the limit after the insert, so two publishes racing
 * on one node both trim: the node never keeps more than max_items once both are done.
 */
export class MongoPubSubRepository implements PubSubRepository {
  private counter = 0;

  constructor(private readonly ctx: MongoContext) {}

  private get nodesCol() {
    return this.ctx.db.collection<NodeDoc>(NODES);
  }
  private get itemsCol() {
    return this.ctx.db.collection<ItemDoc>(ITEMS);
  }

  async node(service: string, node: string): Promise<PubSubNodeRecord | undefined> {
    const doc = await this.ctx.retry.run(`read pubsub node ${service}`, () => this.nodesCol.findOne({ _id: nodeKey(service, node) }));
    return doc ? toRecord(doc) : undefined;
  }

  async nodes(service: string): Promise<PubSubNodeRecord[]> {
    const docs = await this.ctx.retry.run(`list pubsub nodes of ${service}`, () => this.nodesCol.find({ service }).sort({ node: 1 }).toArray());
    return docs.map(toRecord);
  }

  async modifyNode(
    service: string,
    node: string,
    mutate: (current: PubSubNodeRecord | undefined) => PubSubNodeRecord | undefined,
    maxNodes: number,
  ): Promise<PubSubNodeRecord | undefined> {
    const _id = nodeKey(service, node);
    for (let round = 0; round < MAX_CONFLICTS; round++) {
      const doc = await this.ctx.retry.run(`read pubsub node ${service}`, () => this.nodesCol.findOne({ _id }));
      const current = doc ? toRecord(doc) : undefined;
      const next = mutate(current);
      if (!next) return current;
      const fields = toFields(next);
      if (doc) {
        const res = await this.ctx.retry.run(`change pubsub node ${service}`, () =>
          this.nodesCol.updateOne({ _id, rev: doc.rev }, { $set: { ...fields, rev: doc.rev + 1 } }),
        );
        if (res.matchedCount === 1) return next;
        continue;
      }
      const count = await this.ctx.retry.run(`count pubsub nodes of ${service}`, () => this.nodesCol.countDocuments({ service }));
      if (count >= maxNodes) throw new StorageLimitError(`${service} already holds ${maxNodes} nodes`);
      try {
        await this.ctx.retry.run(`create pubsub node ${service}`, () => this.nodesCol.insertOne({ _id, schema: 1, service, node, rev: 1, ...fields }));
        return next;
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // another writer created it: read again
      }
    }
    throw new StorageConflictError(`pubsub node ${service} ${node} changed ${MAX_CONFLICTS} times while being changed`);
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    const res = await this.ctx.retry.run(`delete pubsub node ${service}`, () => this.nodesCol.deleteOne({ _id: nodeKey(service, node) }));
    await this.ctx.retry.run(`delete pubsub items ${service}`, () => this.itemsCol.deleteMany({ service, node }));
    return res.deletedCount > 0;
  }

  async publish(service: string, node: string, item: PubSubItemRecord, maxItems: number): Promise<string[]> {
    const doc: ItemDoc = {
      _id: itemKey(service, node, item.id),
      schema: 1,
      service,
      node,
      id: item.id,
      seq: Date.now() * 1000 + (this.counter++ % 1000),
      publisher: item.publisher,
      publishedAt: item.publishedAt,
      payload: item.payload,
    };
    await this.ctx.retry.run(`publish to ${service}`, () => this.itemsCol.replaceOne({ _id: doc._id }, doc, { upsert: true }));
    const old = await this.ctx.retry.run(`trim ${service}`, () =>
      this.itemsCol
        .find({ service, node }, { projection: { id: 1 } })
        .sort({ seq: -1 })
        .skip(maxItems)
        .toArray(),
    );
    if (old.length > 0) await this.ctx.retry.run(`trim ${service}`, () => this.itemsCol.deleteMany({ _id: { $in: old.map((d) => d._id) } }));
    return old.map((d) => d.id);
  }

  async items(service: string, node: string, query: PubSubItemsQuery = {}): Promise<PubSubItemRecord[]> {
    const filter = query.ids ? { service, node, id: { $in: [...query.ids] } } : { service, node };
    const docs = await this.ctx.retry.run(`read items of ${service}`, () => {
      const cursor = this.itemsCol.find(filter).sort({ seq: -1 });
      return (query.max !== undefined ? cursor.limit(query.max) : cursor).toArray();
    });
    return docs.map((d) => ({ id: d.id, publisher: d.publisher, publishedAt: d.publishedAt, payload: d.payload }));
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    const res = await this.ctx.retry.run(`retract from ${service}`, () => this.itemsCol.deleteOne({ _id: itemKey(service, node, id) }));
    return res.deletedCount > 0;
  }

  async purge(service: string, node: string): Promise<void> {
    await this.ctx.retry.run(`purge ${service}`, () => this.itemsCol.deleteMany({ service, node }));
  }

  async deleteService(service: string): Promise<void> {
    await this.ctx.retry.run(`delete pubsub of ${service}`, () => this.nodesCol.deleteMany({ service }));
    await this.ctx.retry.run(`delete pubsub items of ${service}`, () => this.itemsCol.deleteMany({ service }));
  }
}

function nodeKey(service: string, node: string): string {
  return `${service} ${node}`;
}

function itemKey(service: string, node: string, id: string): string {
  return `${service} ${node.length}:${node} ${id}`;
}

function toFields(r: PubSubNodeRecord): Pick<NodeDoc, 'creator' | 'createdAt' | 'config' | 'affiliations' | 'subscriptions'> {
  return {
    creator: r.creator,
    createdAt: r.createdAt,
    config: Object.entries(r.config).map(([v, values]) => ({ var: v, values })),
    affiliations: Object.entries(r.affiliations).map(([jid, affiliation]) => ({ jid, affiliation })),
    subscriptions: Object.entries(r.subscriptions).map(([jid, s]) => ({ jid, subid: s.subid, state: s.state })),
  };
}

function toRecord(d: NodeDoc): PubSubNodeRecord {
  return {
    service: d.service,
    node: d.node,
    creator: d.creator,
    createdAt: d.createdAt,
    config: Object.fromEntries(d.config.map((c) => [c.var, c.values])),
    affiliations: Object.fromEntries(d.affiliations.map((a) => [a.jid, a.affiliation])),
    subscriptions: Object.fromEntries(d.subscriptions.map((s) => [s.jid, { subid: s.subid, state: s.state }])),
  };
}
