/** Open connections per source IP, for edge.limits.maxConnectionsPerIp. */
export class ConnectionCounter {
  private readonly perIp = new Map<string, number>();
  total = 0;

  constructor(private readonly maxPerIp: number) {}

  /** Counts the connection in, or returns false when the IP is at its limit. */
  acquire(ip: string): boolean {
    const n = this.perIp.get(ip) ?? 0;
    if (n >= this.maxPerIp) return false;
    this.perIp.set(ip, n + 1);
    this.total++;
    return true;
  }

  release(ip: string): void {
    const n = this.perIp.get(ip) ?? 0;
    if (n <= 1) this.perIp.delete(ip);
    else this.perIp.set(ip, n - 1);
    this.total = Math.max(0, this.total - 1);
  }
}
