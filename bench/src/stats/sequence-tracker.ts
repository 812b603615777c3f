// Per-sender delivery accounting: every message carries the sender's sequence number; the receiver
// counts in-order, out-of-order (a gap later filled), duplicates, and at the end the loss
// (sent but never received). A correct server reports zero for the last three.

export interface DeliveryCounts {
  received: number;
  duplicates: number;
  outOfOrder: number;
  lost: number;
}

export class SequenceTracker {
  /** Next sequence number expected in order (sequences start at 0). */
  private next = 0;
  /** Sequences skipped by a gap and not yet seen. */
  private readonly missing = new Set<number>();
  received = 0;
  duplicates = 0;
  outOfOrder = 0;

  /** Accounts one arrival; returns false when it is a duplicate. */
  accept(seq: number): boolean {
    if (seq === this.next) {
      this.next++;
      this.received++;
      return true;
    }
    if (seq > this.next) {
      for (let s = this.next; s < seq; s++) this.missing.add(s);
      this.next = seq + 1;
      this.received++;
      return true;
    }
    if (this.missing.delete(seq)) {
      this.outOfOrder++;
      this.received++;
      return true;
    }
    this.duplicates++;
    return false;
  }

  /** Final counts given how many messages the sender sent (sequences 0..sent-1). */
  counts(sent: number): DeliveryCounts {
    const tailMissing = Math.max(0, sent - this.next);
    return {
      received: this.received,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
      lost: this.missing.size + tailMissing,
    };
  }
}

export function addCounts(a: DeliveryCounts, b: DeliveryCounts): DeliveryCounts {
  return {
    received: a.received + b.received,
    duplicates: a.duplicates + b.duplicates,
    outOfOrder: a.outOfOrder + b.outOfOrder,
    lost: a.lost + b.lost,
  };
}

export const zeroCounts = (): DeliveryCounts => ({ received: 0, duplicates: 0, outOfOrder: 0, lost: 0 });
