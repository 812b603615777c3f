import type { Socket } from 'node:net';
import { relay, type RelayEnd, type RelayHandle } from './relay.js';
import { Rep, type RepCode } from './socks5.codec.js';

export interface TransferTableOptions {
  /** Transfers (pending or relaying) held at once (`media.socks5.maxTransfers`). */
  maxTransfers: number;
  maxBytesPerTransfer: number;
  idleTimeoutMs: number;
  /** From the first connection of a stream hash until activation (`media.socks5.activationTimeoutMs`). */
  activationTimeoutMs: number;
}

/** The answer to a SOCKS5 CONNECT for a stream hash: accepted, or the RFC 1928 reply code that refuses it. */
export type AttachResult = { ok: true; first: boolean } | { ok: false; rep: RepCode; reason: string };

/** XEP-0065 §6.3.5 outcomes, mapped to stanza errors by the IQ side. */
export type ActivateResult = 'activated' | 'unknown' | 'one-side' | 'already-active';

export interface TransferEvents {
  /** A hash's first connection arrived: its claim was taken by the caller already. */
  opened?(hash: string): void;
  /** The hash is gone (both sides closed, timed out, cut); release what was held for it. */
  closed?(hash: string, why: RelayEnd | 'activation-timeout' | 'abandoned', bytes: number): void;
}

interface Side {
  socket: Socket;
  early: Buffer;
  onClose: () => void;
}

interface Transfer {
  hash: string;
  sides: Side[];
  timer: NodeJS.Timeout;
  relay?: RelayHandle;
}

/**
 * The connections of one replica's SOCKS5 proxy, paired by stream hash (XEP-0065 §6.3.2, §6.3.4:
 * Target and Requester connect with the same DST.ADDR) and relayed once the Requester activates
 * (§6.3.5). At most two connections per hash: the StreamHost allows "only one Target", so a third
 * is refused. Until activation the sockets are paused (nothing read, nothing relayed); a hash not
 * activated within `activationTimeoutMs` of its first connection is closed.
 */
export class TransferTable {
  private readonly transfers = new Map<string, Transfer>();

  constructor(
    private readonly opts: TransferTableOptions,
    private readonly events: TransferEvents = {},
  ) {}

  get size(): number {
    return this.transfers.size;
  }

  get relaying(): number {
    let n = 0;
    for (const t of this.transfers.values()) if (t.relay) n++;
    return n;
  }

  has(hash: string): boolean {
    return this.transfers.has(hash);
  }

  /** Whether a new hash would be accepted now (the caller checks before claiming it cluster-wide). */
  full(): boolean {
    return this.transfers.size >= this.opts.maxTransfers;
  }

  /** A connection that finished its SOCKS5 CONNECT for `hash`; `socket` is paused. */
  attach(hash: string, socket: Socket, early: Buffer): AttachResult {
    // Gone while its hash was being claimed: its 'close' has passed, nothing would ever remove it.
    if (socket.destroyed) return { ok: false, rep: Rep.generalFailure, reason: 'the connection closed during the handshake' };
    const t = this.transfers.get(hash);
    if (!t) {
      if (this.full()) return { ok: false, rep: Rep.notAllowed, reason: `${this.opts.maxTransfers} transfers in progress (media.socks5.maxTransfers)` };
      const fresh: Transfer = { hash, sides: [], timer: setTimeout(() => this.expire(hash), this.opts.activationTimeoutMs) };
      fresh.timer.unref();
      this.transfers.set(hash, fresh);
      this.add(fresh, socket, early);
      this.events.opened?.(hash);
      return { ok: true, first: true };
    }
    if (t.relay) return { ok: false, rep: Rep.notAllowed, reason: 'the stream is already activated' };
    if (t.sides.length >= 2) return { ok: false, rep: Rep.notAllowed, reason: 'two connections already hold this stream (one Requester, one Target)' };
    this.add(t, socket, early);
    return { ok: true, first: false };
  }

  /** XEP-0065 §6.3.5: start relaying `hash`, if both sides are connected and it is not active yet. */
  activate(hash: string): ActivateResult {
    const t = this.transfers.get(hash);
    if (!t) return 'unknown';
    if (t.relay) return 'already-active';
    if (t.sides.length < 2) return 'one-side';
    clearTimeout(t.timer);
    const [x, y] = t.sides as [Side, Side];
    for (const s of t.sides) s.socket.off('close', s.onClose);
    t.relay = relay(x.socket, y.socket, x.early, y.early, { maxBytes: this.opts.maxBytesPerTransfer, idleTimeoutMs: this.opts.idleTimeoutMs }, (why, bytes) =>
      this.remove(hash, why, bytes),
    );
    return 'activated';
  }

  /** Shutdown: every connection is closed. */
  close(): void {
    for (const hash of [...this.transfers.keys()]) this.drop(hash, 'abandoned');
  }

  private add(t: Transfer, socket: Socket, early: Buffer): void {
    // Before activation a side that goes away leaves its hash; the last one leaving ends it.
    const onClose = () => {
      if (t.relay || this.transfers.get(t.hash) !== t) return;
      t.sides = t.sides.filter((s) => s !== side);
      if (t.sides.length === 0) this.remove(t.hash, 'abandoned', 0);
    };
    const side: Side = { socket, early, onClose };
    t.sides.push(side);
    socket.once('close', onClose);
  }

  private expire(hash: string): void {
    const t = this.transfers.get(hash);
    if (t && !t.relay) this.drop(hash, 'activation-timeout');
  }

  private drop(hash: string, why: 'activation-timeout' | 'abandoned'): void {
    const t = this.transfers.get(hash);
    if (!t) return;
    if (t.relay) t.relay.destroy();
    else {
      for (const s of t.sides) s.socket.destroy();
      this.remove(hash, why, 0);
    }
  }

  private remove(hash: string, why: RelayEnd | 'activation-timeout' | 'abandoned', bytes: number): void {
    const t = this.transfers.get(hash);
    if (!t) return;
    clearTimeout(t.timer);
    this.transfers.delete(hash);
    this.events.closed?.(hash, why, bytes);
  }
}
