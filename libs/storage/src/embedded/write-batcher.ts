import type { DatabaseSync } from 'node:sqlite';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Writes that arrive in one turn of the event loop go into one transaction: a commit costs far
 * more than a row (WAL append, locks, and at each auto-checkpoint an fsync), so a stream of small
 * appends — two archive records per message, docs/performance.md "Message archive" — is written
 * once per turn instead of once per row. Each caller's promise settles when its row is committed.
 * If the batch fails, every row is tried alone, so one bad row fails only its own caller.
 */
export class WriteBatcher<T> {
  private queue: Waiting<T>[] = [];

  constructor(
    private readonly db: EmbeddedDatabase,
    private readonly writeOne: (db: DatabaseSync, item: T) => void,
  ) {}

  write(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flushNow());
    });
  }

  /**
   * Commits what waits now, without waiting for the end of the turn: before a write that must come
   * after these (an account's archive deleted: an append made before it must not land after it),
   * and before the database closes.
   */
  flushNow(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    try {
      this.db.write((db) => {
        for (const w of batch) this.writeOne(db, w.item);
      });
    } catch {
      for (const w of batch) {
        try {
          this.db.write((db) => this.writeOne(db, w.item));
          w.resolve();
        } catch (err) {
          w.reject(err);
        }
      }
      return;
    }
    for (const w of batch) w.resolve();
  }
}
