/**
 * Failed-login back-off per source IP: the n-th consecutive failure waits base·2^(n-1), capped,
 * before the client hears <not-authorized/>. Success resets it. Entries expire after the cap has
 * passed twice without a failure, so the map stays bounded by recent offenders.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; at: number }>();

  constructor(private readonly baseMs: number, private readonly maxMs: number, private readonly now: () => number = Date.now) {}

  /** Records a failure; returns how long to wait before answering it. */
  failed(ip: string): number {
    this.prune();
    const entry = this.failures.get(ip) ?? { count: 0, at: 0 };
    entry.count++;
    entry.at = this.now();
    this.failures.set(ip, entry);
    if (this.baseMs === 0) return 0;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.min(entry.count - 1, 30));
  }

  succeeded(ip: string): void {
    this.failures.delete(ip);
  }

  private prune(): void {
    if (this.failures.size < 1024) return;
    const cutoff = this.now() - 2 * this.maxMs;
    for (const [ip, e] of this.failures) if (e.at < cutoff) this.failures.delete(ip);
  }
}
