import type { Transport } from '../transport/transport.js';
import { settleSafely, UNWRITTEN, WRITTEN, type Settle, type UnwrittenReason } from './outgoing.js';

interface Waiting {
  data: string | Uint8Array;
  size: number;
  /** Undefined for what is not a stanza (features, SASL, SM nonzas): nobody waits for it. */
  settle: Settle<unknown> | undefined;
  meta: unknown;
}

/** How much a discard handed back. */
export interface Discarded {
  stanzas: number;
  bytes: number;
}

/**
 * A stream's writes, in order, with backpressure. While the connection takes bytes (its write
 * buffer under the transport's high-water mark) a write goes straight through, and its stanza is
 * `written` once the bytes left the process (the write callback). Past that, writes wait here,
 * still owned by their callers, until the connection drains; a client that stops reading is cut
 * (`onOverflow`) when what waits here and in the socket passes `maxBytes`, and what waits here is
 * handed back `unwritten` instead of thrown away (what sat in the socket, when it is destroyed).
 * `stalled` tells a caller whether a stanza written now can be expected `written` soon.
 */
export class OutQueue {
  private items: (Waiting | undefined)[] = [];
  private head = 0;
  private waitingBytes = 0;
  private blocked = false;
  /** Stanza writes handed to the connection whose write callback has not fired yet. */
  private inFlight = 0;
  /** When the connection last moved: a write callback fired, or a stanza was written with none in flight. */
  private movedAt = 0;

  constructor(
    private readonly transport: Transport,
    private readonly maxBytes: number,
    private readonly onOverflow: () => void,
    private readonly log: { error(obj: object, msg: string): void },
    /** A connection with writes in flight and no write callback for this long is `stalled`. */
    private readonly stallMs: number,
  ) {
    transport.onDrain(() => this.drained());
  }

  /**
   * The connection is not taking bytes: writes wait here (backpressure), or what was handed to it
   * saw no write callback for `stallMs` (the kernel's buffer is full: the client does not read).
   * A healthy connection's callbacks fire within the same turn of the event loop.
   */
  get stalled(): boolean {
    return this.blocked || this.head < this.items.length || (this.inFlight > 0 && Date.now() - this.movedAt >= this.stallMs);
  }

  /** Stanzas and bytes waiting for the client to read. */
  get waiting(): Discarded {
    return { stanzas: this.items.length - this.head, bytes: this.waitingBytes };
  }

  write<M>(data: string | Uint8Array, settle?: Settle<M>, meta?: M): void {
    if (!this.blocked && this.head === this.items.length) {
      this.blocked = !this.transport.write(data, this.written(settle, meta as M));
      return;
    }
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    this.items.push({ data, size, settle: settle as Settle<unknown> | undefined, meta });
    this.waitingBytes += size;
    if (this.waitingBytes + this.transport.bufferedBytes() > this.maxBytes) this.onOverflow();
  }

  /** Straight to the connection, ahead of what waits (a stream error, our closing tag). */
  writeNow(data: string | Uint8Array): void {
    this.transport.write(data);
  }

  /** Hands back everything waiting as `unwritten` (stream closing, closed, or the client cut). */
  discard(reason: UnwrittenReason): Discarded {
    const out = { stanzas: 0, bytes: this.waitingBytes };
    const items = this.items;
    const from = this.head;
    this.items = [];
    this.head = 0;
    this.waitingBytes = 0;
    for (let i = from; i < items.length; i++) {
      const item = items[i]!;
      if (!item.settle) continue;
      out.stanzas++;
      settleSafely(item.settle, UNWRITTEN[reason], item.meta, this.log);
    }
    return out;
  }

  /**
   * A stanza is `written` once the connection's write callback says its bytes left the process, not
   * when the socket accepted them: bytes still in Node's socket (or TLS) buffer when a cut
   * connection is destroyed never reach the client, and are handed back `unwritten` ('closed').
   */
  private written<M>(settle: Settle<M> | undefined, meta: M): ((err?: Error | null) => void) | undefined {
    if (!settle) return undefined;
    if (this.inFlight++ === 0) this.movedAt = Date.now();
    return (err) => {
      this.inFlight--;
      this.movedAt = Date.now();
      settleSafely(settle, err ? UNWRITTEN.closed : WRITTEN, meta, this.log);
    };
  }

  private drained(): void {
    this.blocked = false;
    while (!this.blocked && this.head < this.items.length) {
      const item = this.items[this.head]!;
      this.items[this.head++] = undefined;
      this.waitingBytes -= item.size;
      this.blocked = !this.transport.write(item.data, this.written(item.settle, item.meta));
    }
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
