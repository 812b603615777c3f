/**
 * The accounting of one chaos run. Every message the sender wrote carries a sequence number; each
 * one must end up delivered live, stored and delivered at the next login (XEP-0203 delayed), or
 * bounced to the sender with an error. Whatever is in none of these is LOST.
 */
export type Outcome = 'live' | 'stored' | 'bounced';

export interface Counts {
  sent: number;
  live: number;
  stored: number;
  bounced: number;
  /** Deliveries beyond the first of a sequence number (live and stored together). */
  duplicates: number;
  /** Sequence numbers both delivered and bounced (the sender was told it failed; it did not). */
  deliveredAndBounced: number;
  /** Arrivals with a lower number than one already arrived, live and stored counted apart. */
  reordered: number;
  reorderedLive: number;
  lost: number;
  /** The first few lost sequence numbers, for the report. */
  lostSample: number[];
}

export class Ledger {
  private sent = 0;
  private readonly seen: Record<Outcome, Set<number>> = { live: new Set(), stored: new Set(), bounced: new Set() };
  private readonly maxSoFar: Record<'live' | 'stored', number> = { live: -1, stored: -1 };
  private deliveries = 0;
  private readonly inversions: Record<'live' | 'stored', number> = { live: 0, stored: 0 };
  private lastChangeAt = Date.now();

  /** The sender wrote message `seq` (numbered from 0, in order). */
  sentOne(seq: number): void {
    if (seq !== this.sent) throw new Error(`sequence numbers must be sent in order: got ${seq}, expected ${this.sent}`);
    this.sent++;
  }

  get sentCount(): number {
    return this.sent;
  }

  /** Something arrived: a message for the receiver (live or stored) or an error for the sender. */
  record(outcome: Outcome, seq: number): void {
    if (!Number.isInteger(seq) || seq < 0 || seq >= this.sent) throw new Error(`${outcome} message with a sequence number never sent: ${seq}`);
    this.lastChangeAt = Date.now();
    this.seen[outcome].add(seq);
    if (outcome === 'bounced') return;
    this.deliveries++;
    if (seq < this.maxSoFar[outcome]) this.inversions[outcome]++;
    else this.maxSoFar[outcome] = seq;
  }

  /** Whether `seq` is accounted for (delivered or bounced). */
  has(seq: number): boolean {
    return this.seen.live.has(seq) || this.seen.stored.has(seq) || this.seen.bounced.has(seq);
  }

  /** Milliseconds since the last arrival of any kind. */
  idleMs(now = Date.now()): number {
    return now - this.lastChangeAt;
  }

  accounted(): number {
    return this.union().size;
  }

  counts(): Counts {
    const delivered = new Set([...this.seen.live, ...this.seen.stored]);
    const lostSample: number[] = [];
    let lost = 0;
    for (let seq = 0; seq < this.sent; seq++) {
      if (this.has(seq)) continue;
      lost++;
      if (lostSample.length < 5) lostSample.push(seq);
    }
    return {
      sent: this.sent,
      live: this.seen.live.size,
      stored: this.seen.stored.size,
      bounced: this.seen.bounced.size,
      duplicates: this.deliveries - delivered.size,
      deliveredAndBounced: [...this.seen.bounced].filter((s) => delivered.has(s)).length,
      reordered: this.inversions.live + this.inversions.stored,
      reorderedLive: this.inversions.live,
      lost,
      lostSample,
    };
  }

  private union(): Set<number> {
    return new Set([...this.seen.live, ...this.seen.stored, ...this.seen.bounced]);
  }
}
