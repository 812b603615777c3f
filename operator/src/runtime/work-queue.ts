import type { WorkQueueMetrics } from './operator-metrics.js';

/**
 * A rate-limited work queue in the manner of client-go's: a key waits at most once (adds while it
 * waits are merged), is never processed by two workers at once (an add while it runs marks it dirty
 * and it runs again after), failures back off exponentially per key, and `addAfter` schedules.
 */
export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Counted and timed here when given (operator-metrics.ts). */
  metrics?: WorkQueueMetrics;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  /** Key → performance.now() at its add, while it waits. */
  private readonly queued = new Map<string, number>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout & { at?: number }>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(private readonly opts: WorkQueueOptions = {}) {}

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.set(key, performance.now());
    this.queue.push(key);
    this.opts.metrics?.adds.add();
    this.waiters.shift()?.();
  }

  /** Adds the key after `ms`; an earlier pending schedule for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    ms = Math.min(ms, 2 ** 31 - 1);
    const existing = this.timers.get(key);
    const at = Date.now() + ms;
    if (existing && (existing.at ?? 0) <= at) return;
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms) as NodeJS.Timeout & { at?: number };
    timer.at = at;
    this.timers.set(key, timer);
  }

  /** Requeues after an exponentially growing delay (reset by `forget`). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    this.opts.metrics?.retries.add();
    const delay = Math.min((this.opts.baseDelayMs ?? 100) * 2 ** n, this.opts.maxDelayMs ?? 60_000);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get length(): number {
    return this.queue.length;
  }

  /** The next key, or undefined once shut down. Call `done(key)` when finished with it. */
  async get(): Promise<string | undefined> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift()!;
    const addedAt = this.queued.get(key);
    this.queued.delete(key);
    if (addedAt !== undefined) this.opts.metrics?.queueDuration.since(addedAt);
    this.processing.add(key);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }
}
