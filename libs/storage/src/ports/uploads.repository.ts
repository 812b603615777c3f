import type { Readable } from 'node:stream';

/** One uploaded file's record (XEP-0363): its bytes live beside it in the same backend. */
export interface UploadRecord {
  /** The slot id: long and random, part of the GET URL (XEP-0363 §8 security). */
  id: string;
  /** Bare JID of the uploader (quota). */
  owner: string;
  filename: string;
  contentType: string;
  size: number;
  createdAt: Date;
  /** When the file is swept; undefined = kept. */
  expiresAt?: Date;
}

/** Why a PUT did not store the file: the body did not have the announced size. */
export class UploadSizeError extends Error {
  override readonly name = 'UploadSizeError';
  constructor(
    readonly announced: number,
    readonly received: number,
  ) {
    super(`the body had ${received > announced ? 'more than' : 'only'} ${received > announced ? announced : received} bytes; the slot announced ${announced}`);
  }
}

/**
 * Uploaded files (embedded: SQLite records and files under `<dataDir>/uploads`; MongoDB: a
 * collection of records and a GridFS bucket), so every media-relay replica serves every file.
 */
export interface UploadsRepository {
  /**
   * Claims `record.id` and stores exactly `record.size` bytes from `body`. Rejects with
   * StorageConflictError when the id was claimed before (a slot is used once), UploadSizeError when
   * the body is shorter or longer (nothing is kept, the id stays claimed), or the stream's error.
   */
  put(record: UploadRecord, body: AsyncIterable<Uint8Array>): Promise<void>;
  /** A complete file's record; undefined while it is still being written, or when absent. */
  get(id: string): Promise<UploadRecord | undefined>;
  /** The bytes `start`..`end` (inclusive) of a complete file. */
  read(id: string, start: number, end: number): Promise<Readable>;
  /** Bytes an owner's files take, being written ones included. */
  usage(owner: string): Promise<number>;
  delete(id: string): Promise<boolean>;
  /** Deletes files whose expiresAt is before `now`; returns how many. */
  deleteExpired(now: Date): Promise<number>;
  deleteAll(owner: string): Promise<number>;
}
