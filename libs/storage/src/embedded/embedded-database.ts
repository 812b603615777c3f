import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { StorageUnavailableError } from '../ports/errors.js';
import { MIGRATIONS } from './embedded.schema.js';

export interface EmbeddedDatabaseOptions {
  /** The SQLite file; its directory is created. */
  file: string;
  /** How long a writer waits for another process's lock before StorageUnavailableError. */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * WAL pages before a commit checkpoints them into the database file (SQLite's default: 1,000).
 * A checkpoint rewrites every page the WAL holds and syncs the file: with archive appends (two per
 * message, each touching several index pages) the default checkpointed every few hundred messages,
 * and one in four archive CPU µs went to fsync (docs/performance.md, "Message archive"). 4,000 pages
 * (16 MiB of WAL at most between checkpoints) writes pages changed often once per checkpoint.
 */
export const WAL_AUTOCHECKPOINT_PAGES = 4_000;

/** Distinct SQL texts kept prepared per connection; the repositories use a few dozen, all constant. */
export const STATEMENT_CACHE_MAX = 256;

/**
 * One `node:sqlite` connection: WAL, synchronous=NORMAL (durable across a process crash; a power cut
 * may lose the last commits), schema migrated at open. All repository calls go through `read`/`write`
 * so driver errors become storage errors and a closed database reports unavailable.
 */
export class EmbeddedDatabase {
  private db: DatabaseSync | undefined;

  constructor(private readonly opts: EmbeddedDatabaseOptions) {}

  /**
   * Opens the file, switches it to WAL and migrates the schema. Two processes opening one new file at
   * once can see SQLITE_BUSY that SQLite's busy handler does not wait out (the switch to WAL and WAL
   * recovery return it at once), so the whole sequence is retried until the busy timeout.
   */
  open(): void {
    if (this.db) return;
    const timeoutMs = this.opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
      let db: DatabaseSync | undefined;
      try {
        mkdirSync(dirname(this.opts.file), { recursive: true });
        db = new DatabaseSync(this.opts.file, { timeout: timeoutMs });
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('PRAGMA synchronous = NORMAL');
        db.exec(`PRAGMA wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
        migrate(db);
        cachePreparedStatements(db);
        this.db = db;
        return;
      } catch (err) {
        db?.close();
        if (isBusy(err) && Date.now() < deadline) {
          sleepSync(Math.min(10 * 2 ** attempt, 200) * (0.5 + Math.random() / 2));
          continue;
        }
        // whatever stops the file from opening (permissions, a full disk, a newer schema) is unavailability
        if (err instanceof StorageUnavailableError) throw err;
        throw new StorageUnavailableError(`cannot open ${this.opts.file}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  close(): void {
    const db = this.db;
    this.db = undefined;
    db?.close();
  }

  get isOpen(): boolean {
    return this.db !== undefined;
  }

  /** Runs `fn` outside a transaction (single statements are atomic). */
  read<T>(fn: (db: DatabaseSync) => T): T {
    try {
      return fn(this.connection());
    } catch (err) {
      throw toStorageError(err);
    }
  }

  /** Runs `fn` in one read transaction: several statements see one snapshot despite other writers. */
  snapshot<T>(fn: (db: DatabaseSync) => T): T {
    return this.transaction('BEGIN', fn);
  }

  /**
   * Runs `fn` in one write transaction taken up front (BEGIN IMMEDIATE), so a read-compute-write
   * cannot interleave with another writer, in this process or another. `fn` must be synchronous.
   */
  write<T>(fn: (db: DatabaseSync) => T): T {
    return this.transaction('BEGIN IMMEDIATE', fn);
  }

  private transaction<T>(begin: string, fn: (db: DatabaseSync) => T): T {
    const db = this.connection();
    try {
      db.exec(begin);
    } catch (err) {
      throw toStorageError(err);
    }
    try {
      const result = fn(db);
      db.exec('COMMIT');
      return result;
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw toStorageError(err);
    }
  }

  private connection(): DatabaseSync {
    if (!this.db) throw new StorageUnavailableError('embedded storage is not open');
    return this.db;
  }
}

function migrate(db: DatabaseSync): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  db.exec('BEGIN IMMEDIATE');
  try {
    const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
    const current = row?.version ?? 0;
    if (current > MIGRATIONS.length) {
      throw new StorageUnavailableError(`schema version ${current} was written by a newer Glider (this one knows ${MIGRATIONS.length})`);
    }
    for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
    else db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
    db.exec('COMMIT');
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/**
 * `db.prepare(sql)` hands out one statement per SQL text instead of compiling it at every call (a
 * login reads accounts, rosters and offline messages: compiling cost more than running them, and
 * every discarded statement waited for GC to be finalised). Reusing a statement is safe with
 * node:sqlite: each run/get/all binds all parameters afresh (missing ones are NULL) and resets the
 * statement when done. The one thing it would break is an `iterate()` still open when the same SQL
 * runs again; the repositories do not iterate. Calls with options are not cached.
 */
function cachePreparedStatements(db: DatabaseSync): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, StatementSync>();
  db.prepare = (sql: string, options?: Parameters<DatabaseSync['prepare']>[1]) => {
    if (options !== undefined) return prepare(sql, options);
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = prepare(sql);
      if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
      cache.set(sql, stmt);
    }
    return stmt;
  };
}

const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

/** A lock held by another connection (the primary result code, whatever the extended one says). */
function isBusy(err: unknown): boolean {
  const code = (err as { errcode?: unknown })?.errcode;
  return typeof code === 'number' && ((code & 0xff) === SQLITE_BUSY || (code & 0xff) === SQLITE_LOCKED);
}

/** Blocks this thread; only used while opening, before the process serves anything. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Driver failures (busy past the timeout, I/O error, full disk, closed handle) mean the store is unavailable. */
function isDriverError(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'ERR_SQLITE_ERROR' || code === 'ERR_INVALID_STATE';
}

/** Only driver errors are translated; anything else (a caller's mutate throwing, our own errors) passes unchanged. */
function toStorageError(err: unknown, context?: string): unknown {
  if (!isDriverError(err)) return err;
  const message = (err as Error).message;
  return new StorageUnavailableError(context ? `${context}: ${message}` : message, { cause: err });
}
