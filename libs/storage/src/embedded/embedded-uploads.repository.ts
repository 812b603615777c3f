import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageConflictError } from '../ports/errors.js';
import { type UploadRecord, type UploadsRepository } from '../ports/uploads.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';
import { countedBody } from '../ports/counted-body.js';

const WRITING = 0;
const COMPLETE = 1;
const FAILED = 2;

interface Row {
  id: string;
  owner: string;
  filename: string;
  content_type: string;
  size: number;
  created_at: number;
  expires_at: number | null;
}

const SAFE_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** Uploads on the embedded store: records in SQLite, bytes in `<dataDir>/uploads/<id>`. */
export class EmbeddedUploadsRepository implements UploadsRepository {
  private readonly dir: string;

  constructor(
    private readonly db: EmbeddedDatabase,
    dataDir: string,
  ) {
    this.dir = join(dataDir, 'uploads');
  }

  async put(r: UploadRecord, body: AsyncIterable<Uint8Array>): Promise<void> {
    const file = this.file(r.id);
    try {
      this.db.read((db) =>
        db
          .prepare('INSERT INTO uploads (id, owner, filename, content_type, size, created_at, expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(r.id, r.owner, r.filename, r.contentType, r.size, r.createdAt.getTime(), r.expiresAt?.getTime() ?? null, WRITING),
      );
    } catch (err) {
      if ((err as { errcode?: number }).errcode === 1555 || /UNIQUE|PRIMARY KEY/.test((err as Error).message))
        throw new StorageConflictError(`upload ${r.id} exists`);
      throw err;
    }
    await mkdir(this.dir, { recursive: true });
    const part = `${file}.part`;
    try {
      await pipeline(countedBody(body, r.size), createWriteStream(part, { flags: 'wx', mode: 0o600 }));
      await rename(part, file);
      this.setState(r.id, COMPLETE, r.size);
    } catch (err) {
      await rm(part, { force: true });
      this.setState(r.id, FAILED, 0);
      throw err;
    }
  }

  async get(id: string): Promise<UploadRecord | undefined> {
    if (!SAFE_ID.test(id)) return undefined;
    const row = this.db.read((db) => db.prepare('SELECT * FROM uploads WHERE id = ? AND state = ?').get(id, COMPLETE)) as Row | undefined;
    return row && toRecord(row);
  }

  async read(id: string, start: number, end: number): Promise<Readable> {
    return createReadStream(this.file(id), { start, end });
  }

  async usage(owner: string): Promise<number> {
    const row = this.db.read((db) => db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM uploads WHERE owner = ?').get(owner)) as { n: number };
    return Number(row.n);
  }

  async delete(id: string): Promise<boolean> {
    if (!SAFE_ID.test(id)) return false;
    const n = Number(this.db.read((db) => db.prepare('DELETE FROM uploads WHERE id = ?').run(id)).changes);
    await rm(this.file(id), { force: true });
    return n > 0;
  }

  async deleteExpired(now: Date): Promise<number> {
    const ids = this.db.read((db) => db.prepare('SELECT id FROM uploads WHERE expires_at IS NOT NULL AND expires_at < ?').all(now.getTime())) as {
      id: string;
    }[];
    let n = 0;
    for (const { id } of ids) if (await this.delete(id)) n++;
    return n;
  }

  async deleteAll(owner: string): Promise<number> {
    const ids = this.db.read((db) => db.prepare('SELECT id FROM uploads WHERE owner = ?').all(owner)) as { id: string }[];
    let n = 0;
    for (const { id } of ids) if (await this.delete(id)) n++;
    return n;
  }

  private setState(id: string, state: number, size: number): void {
    this.db.read((db) => db.prepare('UPDATE uploads SET state = ?, size = ? WHERE id = ?').run(state, size, id));
  }

  private file(id: string): string {
    // Ids come from slots the server signed; checked again so that no id can name another path.
    if (!SAFE_ID.test(id)) throw new Error(`upload id "${id}" is not a slot id`);
    return join(this.dir, id);
  }
}

function toRecord(row: Row): UploadRecord {
  return {
    id: row.id,
    owner: row.owner,
    filename: row.filename,
    contentType: row.content_type,
    size: Number(row.size),
    createdAt: new Date(Number(row.created_at)),
    ...(row.expires_at !== null ? { expiresAt: new Date(Number(row.expires_at)) } : {}),
  };
}
