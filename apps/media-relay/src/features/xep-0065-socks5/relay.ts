import type { Socket } from 'node:net';

export interface RelayOptions {
  /** Bytes relayed both ways together before the transfer is cut (`media.socks5.maxBytesPerTransfer`). */
  maxBytes: number;
  /** No byte either way for this long closes the transfer (`media.socks5.idleTimeoutMs`). */
  idleTimeoutMs: number;
}

/** Why a relay ended: both sides closed, silence, the byte limit, or a socket error. */
export type RelayEnd = 'closed' | 'idle' | 'bytes-limit' | 'error';

export interface RelayHandle {
  /** Bytes relayed so far, both ways. */
  readonly bytes: number;
  /** Ends the relay at once (shutdown). */
  destroy(): void;
}

/**
 * Copies bytes both ways between two connected sockets (XEP-0065 §6.3.5: once activated, "data is
 * relayed between the two SOCKS5 connections"). Backpressure both ways: a side whose peer does not
 * read stops being read (`pause` on a full write buffer, `resume` on `drain`), so the proxy never
 * holds more than one socket buffer per direction. A side that finishes sending (FIN) is passed
 * on as a FIN once what it sent is written; the relay ends when both sides are closed. Past the
 * byte limit or after the idle time both sockets are reset (RST): a receiver must not mistake a cut
 * transfer for a complete one.
 *
 * `earlyA` / `earlyB`: bytes each side sent before activation, delivered first.
 */
export function relay(a: Socket, b: Socket, earlyA: Buffer, earlyB: Buffer, opts: RelayOptions, onEnd: (why: RelayEnd, bytes: number) => void): RelayHandle {
  let bytes = 0;
  let ended = false;
  let closed = 0;
  const finish = (why: RelayEnd) => {
    if (ended) return;
    ended = true;
    if (why !== 'closed') {
      for (const s of [a, b]) if (!s.destroyed) s.resetAndDestroy();
    }
    onEnd(why, bytes);
  };
  /** Counts bytes; false when they would pass the limit (the relay is then cut, and they are not sent). */
  const count = (n: number): boolean => {
    if (bytes + n <= opts.maxBytes) {
      bytes += n;
      return true;
    }
    finish('bytes-limit');
    return false;
  };
  const pump = (src: Socket, dst: Socket, early: Buffer) => {
    if (early.length && count(early.length)) dst.write(early);
    src.on('data', (chunk: Buffer) => {
      if (ended || !count(chunk.length)) return;
      if (!dst.write(chunk)) src.pause();
    });
    dst.on('drain', () => {
      if (!ended) src.resume();
    });
    src.on('end', () => {
      if (!dst.destroyed) dst.end();
    });
    src.on('error', () => finish('error'));
    src.on('close', () => {
      if (++closed === 2) finish('closed');
      else if (!ended && !dst.destroyed) dst.end();
    });
    src.setTimeout(opts.idleTimeoutMs, () => finish('idle'));
  };
  pump(a, b, earlyA);
  pump(b, a, earlyB);
  // A side that closed while the stream waited for activation will send no 'close' any more.
  if (a.destroyed || b.destroyed) finish('error');
  if (!ended) {
    a.resume();
    b.resume();
  }
  return {
    get bytes() {
      return bytes;
    },
    destroy: () => finish('error'),
  };
}
