import type { z } from 'zod';
import type { Logger } from '#libs/telemetry';
import { StorageRecordError } from '../ports/errors.js';

/** Field every document carries: the shape version it was written with. */
export const SCHEMA_FIELD = 'schema';

/**
 * How one collection's documents are read: the version this release writes, upgrades from older
 * versions (applied in memory; the next write stores the current version), and the current shape.
 */
export interface RecordCodec<T> {
  kind: string;
  version: number;
  upgrades?: Record<number, (doc: Record<string, unknown>) => Record<string, unknown>>;
  shape: z.ZodType<T>;
}

/**
 * Reads one document, or throws StorageRecordError naming it when it was written by a newer release
 * or does not have the expected shape (edited by hand, say). Other records are unaffected.
 */
export function decodeRecord<T>(codec: RecordCodec<T>, id: string, raw: Record<string, unknown>): T {
  let doc = raw;
  let version = doc[SCHEMA_FIELD];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new StorageRecordError(`${codec.kind} ${id}: corrupted record (missing or invalid "${SCHEMA_FIELD}")`);
  }
  if (version > codec.version) {
    throw new StorageRecordError(`${codec.kind} ${id}: written by a newer Glider (schema ${version}, this release reads up to ${codec.version})`);
  }
  while (version < codec.version) {
    const upgrade = codec.upgrades?.[version];
    if (!upgrade) throw new StorageRecordError(`${codec.kind} ${id}: no upgrade from schema ${version}`);
    doc = upgrade(doc);
    version++;
  }
  const parsed = codec.shape.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new StorageRecordError(`${codec.kind} ${id}: corrupted record (${issue.path.join('.') || 'document'}: ${issue.message})`);
  }
  return parsed.data;
}

/** For lists: a bad record is logged and left out, so one bad document never blocks the rest. */
export function decodeEach<T>(codec: RecordCodec<T>, docs: Record<string, unknown>[], logger: Logger): T[] {
  const out: T[] = [];
  for (const doc of docs) {
    try {
      out.push(decodeRecord(codec, String(doc._id), doc));
    } catch (err) {
      if (!(err instanceof StorageRecordError)) throw err;
      logger.error({ err: err.message, id: String(doc._id) }, 'skipping unreadable record');
    }
  }
  return out;
}
