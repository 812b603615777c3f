import type { StanzaOut } from '../../stream/stanza-out.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';

/** One stanza sent (or about to be sent) to the client and not yet acknowledged. */
export interface UnackedEntry {
  /** Its number in the outbound count (full, not wrapped). */
  n: number;
  size: number;
  /** Its key in the resumable store, once stored. */
  key?: string;
  /** Its revision in the store (the store's order), once stored. */
  revision?: number;
  /** The store has it (or failed to take it). */
  storedDone: boolean;
  /** The store took it: its caller is told `stored` when it is released to the connection. */
  storedOk?: boolean;
  /** The held stanza, until it is released to the socket. */
  out?: StanzaOut<C2sStream>;
}

/**
 * The stanzas the client has not acknowledged yet, in the order they were numbered (XEP-0198 §4),
 * with their count and bytes (edge.sm.maxUnacked, maxUnackedBytes). Entries leave from the front
 * when an `<a/>` acknowledges them. `released` marks how far they were handed to the socket: a
 * stanza is written only once stored, and only after every stanza before it.
 */
export class UnackedQueue {
  private items: UnackedEntry[] = [];
  private head = 0;
  /** Index (absolute, like head) of the first entry not yet released to the socket. */
  private next = 0;
  bytes = 0;

  get count(): number {
    return this.items.length - this.head;
  }

  /** Released to the socket and not yet acknowledged. */
  get inFlight(): number {
    return this.next - this.head;
  }

  push(e: UnackedEntry): void {
    this.items.push(e);
    this.bytes += e.size;
  }

  /** Entries whose turn to be written has come (stored, in order), marked released. */
  *releasable(): Generator<UnackedEntry> {
    while (this.next < this.items.length && this.items[this.next]!.storedDone) yield this.items[this.next++]!;
  }

  /** Removes and returns the entries numbered up to `n`. */
  ackUpTo(n: number): UnackedEntry[] {
    const out: UnackedEntry[] = [];
    while (this.head < this.items.length && this.items[this.head]!.n <= n) {
      const e = this.items[this.head++]!;
      this.bytes -= e.size;
      out.push(e);
    }
    if (this.next < this.head) this.next = this.head;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.next -= this.head;
      this.head = 0;
    }
    return out;
  }

  /** The first entry not acknowledged. */
  first(): UnackedEntry | undefined {
    return this.items[this.head];
  }

  /** Everything not acknowledged. */
  all(): UnackedEntry[] {
    return this.items.slice(this.head);
  }
}
