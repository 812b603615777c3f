import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { StanzaOut as AnyStanzaOut } from '../../stream/stanza-out.js';

type StanzaOut = AnyStanzaOut<C2sStream>;

export interface HoldLimits {
  maxHeldStanzas: number;
  maxHeldBytes: number;
}

interface Entry {
  size: number;
  key: string | undefined;
}

/**
 * What one inactive stream holds, in arrival order. A held stanza stays the stream's (settled
 * `held`; the stream hands it back `unwritten` if it closes first); `flush()` releases all in order,
 * each then written. A newer presence from the same sender drops the older one (`dropped`, the
 * caller told why). Past the limits everything is flushed rather than anything lost.
 */
export class HeldQueue {
  private entries = new Map<StanzaOut, Entry>();
  private byKey = new Map<string, StanzaOut>();
  private bytes = 0;

  constructor(private readonly limits: HoldLimits) {}

  get size(): { stanzas: number; bytes: number } {
    return { stanzas: this.entries.size, bytes: this.bytes };
  }

  /** Holds `out` (collapsing by `key`); false when it would pass a limit: everything was flushed, `out` goes on. */
  hold(out: StanzaOut, key?: string): boolean {
    if (key !== undefined) {
      const older = this.byKey.get(key);
      if (older) {
        this.forget(older);
        older.drop('XEP-0352: superseded by a newer presence from the same sender while the client is inactive');
      }
    }
    const data = out.bytes(); // a delivery's bytes as they came: no parsing
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (this.entries.size + 1 > this.limits.maxHeldStanzas || this.bytes + size > this.limits.maxHeldBytes) {
      this.flush();
      return false;
    }
    this.entries.set(out, { size, key });
    if (key !== undefined) this.byKey.set(key, out);
    this.bytes += size;
    out.hold();
    return true;
  }

  /** Releases everything held, oldest first (each is written, or settled if its stream is gone). */
  flush(): number {
    const held = [...this.entries.keys()];
    this.entries = new Map();
    this.byKey = new Map();
    this.bytes = 0;
    for (const out of held) out.release();
    return held.length;
  }

  private forget(out: StanzaOut): void {
    const entry = this.entries.get(out);
    if (!entry) return;
    this.entries.delete(out);
    this.bytes -= entry.size;
    if (entry.key !== undefined) this.byKey.delete(entry.key);
  }
}
