/**
 * Queries per account per minute (`archive.maxQueriesPerMinute`), in this router's memory: a
 * fixed one-minute window per account. In a cluster each router counts the IQs it serves, so an
 * account spread over n routers gets at most n times the limit (README: next steps).
 */
export class QueryRateLimit {
  private readonly windows = new Map<string, { start: number; n: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when `account` may query now (and counts the query). */
  take(account: string): boolean {
    const t = this.now();
    if (this.windows.size > 10_000) this.prune(t);
    const w = this.windows.get(account);
    if (!w || t - w.start >= 60_000) {
      this.windows.set(account, { start: t, n: 1 });
      return true;
    }
    if (w.n >= this.perMinute) return false;
    w.n++;
    return true;
  }

  private prune(t: number): void {
    for (const [k, w] of this.windows) if (t - w.start >= 60_000) this.windows.delete(k);
  }
}
