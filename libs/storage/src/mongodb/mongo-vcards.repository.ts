import { z } from 'zod';
import type { VcardsRepository } from '../ports/vcards.repository.js';
import { replaceOrInsert, type CollectionIndexes, type MongoContext } from './mongo-context.js';
import { decodeRecord, type RecordCodec } from './mongo-record.js';

const COLLECTION = 'vcards';

/** One document per owner (`_id`): no extra index. */
export const VCARDS_INDEXES: CollectionIndexes = { collection: COLLECTION, indexes: [] };

const codec: RecordCodec<{ xml: string }> = { kind: 'vcard', version: 1, shape: z.object({ xml: z.string() }) };

interface VcardDoc {
  _id: string;
  schema: number;
  xml: string;
  updatedAt: Date;
}

/** XEP-0054 vCards as XML, one document per owner; a set replaces the whole vCard (idempotent). */
export class MongoVcardsRepository implements VcardsRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<VcardDoc>(COLLECTION);
  }

  async get(owner: string): Promise<string | undefined> {
    const doc = await this.ctx.retry.run(`get vcard of ${owner}`, () => this.col.findOne({ _id: owner }));
    return doc ? decodeRecord(codec, owner, doc as unknown as Record<string, unknown>).xml : undefined;
  }

  async set(owner: string, xml: string): Promise<void> {
    const doc: VcardDoc = { _id: owner, schema: codec.version, xml, updatedAt: new Date() };
    await this.ctx.retry.run(`set vcard of ${owner}`, () => replaceOrInsert(this.col, doc));
  }

  async delete(owner: string): Promise<void> {
    await this.ctx.retry.run(`delete vcard of ${owner}`, () => this.col.deleteOne({ _id: owner }));
  }
}
