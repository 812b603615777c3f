import { z } from 'zod';
import type { PrivateXmlRepository } from '../ports/private-xml.repository.js';
import { replaceOrInsert, type CollectionIndexes, type MongoContext } from './mongo-context.js';
import { decodeRecord, type RecordCodec } from './mongo-record.js';

const COLLECTION = 'private_xml';

export const PRIVATE_XML_INDEXES: CollectionIndexes = {
  collection: COLLECTION,
  indexes: [{ key: { owner: 1 }, name: 'owner' }],
};

const codec: RecordCodec<{ xml: string }> = {
  kind: 'private XML',
  version: 1,
  shape: z.object({ xml: z.string() }),
};

interface PrivateXmlDoc {
  _id: string;
  schema: number;
  owner: string;
  name: string;
  xmlns: string;
  xml: string;
  updatedAt: Date;
}

/**
 * XEP-0049: one document per (owner, element). `_id` = `owner name xmlns`: a bare JID and an XML
 * name hold no space, so the namespace, last, can be anything and ids never collide.
 */
export class MongoPrivateXmlRepository implements PrivateXmlRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<PrivateXmlDoc>(COLLECTION);
  }

  async get(owner: string, name: string, xmlns: string): Promise<string | undefined> {
    const id = key(owner, name, xmlns);
    const doc = await this.ctx.retry.run(`get private XML of ${owner}`, () => this.col.findOne({ _id: id }));
    return doc ? decodeRecord(codec, id, doc as unknown as Record<string, unknown>).xml : undefined;
  }

  async set(owner: string, name: string, xmlns: string, xml: string): Promise<void> {
    const id = key(owner, name, xmlns);
    const doc: PrivateXmlDoc = { _id: id, schema: codec.version, owner, name, xmlns, xml, updatedAt: new Date() };
    await this.ctx.retry.run(`set private XML of ${owner}`, () => replaceOrInsert(this.col, doc));
  }

  async deleteAll(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete private XML of ${owner}`, () => this.col.deleteMany({ owner }));
  }
}

function key(owner: string, name: string, xmlns: string): string {
  return `${owner} ${name} ${xmlns}`;
}
