import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket } from 'mongodb';
import { countedBody } from '../ports/counted-body.js';
import { StorageConflictError } from '../ports/errors.js';
import type { UploadRecord, UploadsRepository } from '../ports/uploads.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { isDuplicateKey } from './mongo-retry.js';

const RECORDS = 'upload_records';
/** GridFS bucket: collections uploads.files and uploads.chunks (the driver indexes them itself). */
const BUCKET = 'uploads';

type State = 'writing' | 'complete' | 'failed';

interface UploadDoc {
  _id: string;
  owner: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: Date;
  expiresAt?: Date;
  state: State;
}

/**
 * Usage per owner, and the sweep of expired files: one createIndexes call each, since FerretDB 1.x
 * drops the connection when one call ensures several indexes that exist already (a second replica's open).
 */
export const UPLOADS_INDEXES: CollectionIndexes[] = [
  { collection: RECORDS, indexes: [{ key: { owner: 1 }, name: 'owner' }] },
  { collection: RECORDS, indexes: [{ key: { expiresAt: 1 }, name: 'expiresAt' }] },
];

/**
 * Uploads on MongoDB: the record (claimed first: `_id` is the slot id, so a second PUT of one slot
 * fails on the duplicate key before any byte is stored) and the bytes in a GridFS bucket under the
 * same id, so any replica serves any file.
 */
export class MongoUploadsRepository implements UploadsRepository {
  constructor(private readonly ctx: MongoContext) {}

  private get col() {
    return this.ctx.db.collection<UploadDoc>(RECORDS);
  }

  private get bucket(): GridFSBucket {
    return new GridFSBucket(this.ctx.db, { bucketName: BUCKET });
  }

  async put(r: UploadRecord, body: AsyncIterable<Uint8Array>): Promise<void> {
    const doc: UploadDoc = {
      _id: r.id,
      owner: r.owner,
      filename: r.filename,
      contentType: r.contentType,
      size: r.size,
      createdAt: r.createdAt,
      state: 'writing',
    };
    if (r.expiresAt) doc.expiresAt = r.expiresAt;
    try {
      await this.col.insertOne(doc);
    } catch (err) {
      if (isDuplicateKey(err)) throw new StorageConflictError(`upload ${r.id} exists`);
      throw err;
    }
    const upload = this.bucket.openUploadStreamWithId(r.id as never, r.id, { metadata: { owner: r.owner } });
    try {
      await pipeline(countedBody(body, r.size), upload);
      await this.col.updateOne({ _id: r.id }, { $set: { state: 'complete' } });
    } catch (err) {
      await upload.abort().catch(() => {});
      await this.bucket.delete(r.id as never).catch(() => {});
      await this.col.updateOne({ _id: r.id }, { $set: { state: 'failed', size: 0 } }).catch(() => {});
      throw err;
    }
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    const doc = await this.ctx.retry.run(`get upload ${id}`, () => this.col.findOne({ _id: id, state: 'complete' }));
    if (!doc) return undefined;
    return {
      id: doc._id,
      owner: doc.owner,
      filename: doc.filename,
      contentType: doc.contentType,
      size: doc.size,
      createdAt: doc.createdAt,
      ...(doc.expiresAt ? { expiresAt: doc.expiresAt } : {}),
    };
  }

  async read(id: string, start: number, end: number): Promise<Readable> {
    return this.bucket.openDownloadStream(id as never, { start, end: end + 1 });
  }

  async usage(owner: string): Promise<number> {
    const rows = await this.ctx.retry.run(`upload usage of ${owner}`, () =>
      this.col.aggregate<{ n: number }>([{ $match: { owner } }, { $group: { _id: null, n: { $sum: '$size' } } }]).toArray(),
    );
    return rows[0]?.n ?? 0;
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.ctx.retry.run(`delete upload ${id}`, () => this.col.deleteOne({ _id: id }));
    await this.bucket.delete(id as never).catch(() => {}); // absent when the upload failed early
    return r.deletedCount > 0;
  }

  async deleteExpired(now: Date): Promise<number> {
    const docs = await this.ctx.retry.run('find expired uploads', () => this.col.find({ expiresAt: { $lt: now } }, { projection: { _id: 1 } }).toArray());
    let n = 0;
    for (const d of docs) if (await this.delete(d._id)) n++;
    return n;
  }

  async deleteAll(owner: string): Promise<number> {
    const docs = await this.ctx.retry.run(`find uploads of ${owner}`, () => this.col.find({ owner }, { projection: { _id: 1 } }).toArray());
    let n = 0;
    for (const d of docs) if (await this.delete(d._id)) n++;
    return n;
  }
}
