/**
 * Events per key per minute (a fixed one-minute window per key), for the join and message limits
 * of config `muc.*`. Kept in the memory of the replica owning the room: a room that moves starts
 * its counts afresh, which errs on letting through.
 */
export class RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event; false when the key is past its limit in this window. */
  take(key: string): boolean {
    const t = this.now();
    const w = this.windows.get(key);
    if (!w || t - w.start >= 60_000) {
      if (this.windows.size > 100_000) this.sweep(t);
      this.windows.set(key, { start: t, count: 1 });
      return true;
    }
    if (w.count >= this.perMinute) return false;
    w.count++;
    return true;
  }

  private sweep(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= 60_000) this.windows.delete(k);
  }
}
