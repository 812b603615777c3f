import {
  ATYP_DOMAINNAME,
  CMD_CONNECT,
  METHOD_NO_AUTH,
  METHOD_NONE_ACCEPTABLE,
  methodSelection,
  Rep,
  reply,
  SOCKS_VERSION,
  type RepCode,
} from './socks5.codec.js';

/** XEP-0065 §5.3.2: DST.ADDR is SHA1(SID + Requester JID + Target JID), hex-encoded. */
const HASH = /^[0-9a-f]{40}$/;

/** Where the server side of one SOCKS5 connection stands (RFC 1928 §3, §4). */
export type HandshakeState = 'greeting' | 'request' | 'requested' | 'refused';

/** What the connection must do after bytes arrived. */
export type HandshakeStep =
  /** Need more bytes. `write` (the method selection) goes out first when present. */
  | { kind: 'more'; write?: Buffer }
  /** A valid CONNECT to a stream hash: the caller decides, then answers with `reply()`. */
  | { kind: 'connect'; hash: string; port: number; write?: Buffer; early: Buffer }
  /** Refused: write `write` (if any) and close. `reason` is for the log. */
  | { kind: 'refuse'; reason: string; write?: Buffer };

/**
 * The server side of the SOCKS5 handshake as XEP-0065 uses it, fed raw bytes in whatever pieces
 * TCP delivers them. Pure: no socket, no timer; `socks5-server.ts` drives it.
 *
 * Refusals, each with the RFC 1928 answer a client can read:
 * - a version other than 5: closed without an answer (nothing a SOCKS4 client would understand);
 * - no "no authentication" method offered: X'FF' (RFC 1928 §3), then closed;
 * - a command other than CONNECT: REP X'07'; an address type other than DOMAINNAME (XEP-0065
 *   hard-codes ATYP 3): REP X'08'; a DOMAINNAME that is not a hex SHA-1: REP X'04'.
 */
export class Socks5Handshake {
  private buf: Buffer = Buffer.alloc(0);
  private st: HandshakeState = 'greeting';

  get state(): HandshakeState {
    return this.st;
  }

  feed(chunk: Buffer): HandshakeStep {
    if (this.st === 'requested' || this.st === 'refused') return this.refuse('bytes after the handshake ended');
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.st === 'greeting') {
      const greeting = this.greeting();
      if (greeting.kind !== 'more' || !greeting.write) return greeting;
      // Selection sent: a client may already have pipelined its request behind the greeting.
      const next = this.request();
      return { ...next, write: next.write ? Buffer.concat([greeting.write, next.write]) : greeting.write };
    }
    return this.request();
  }

  /** RFC 1928 §3: VER | NMETHODS | METHODS. */
  private greeting(): HandshakeStep {
    const b = this.buf;
    if (b.length < 1) return { kind: 'more' };
    if (b[0] !== SOCKS_VERSION) return this.refuse(`SOCKS version ${b[0]} in the greeting (only 5)`);
    if (b.length < 2) return { kind: 'more' };
    const n = b[1]!;
    if (n === 0) return this.refuse('a greeting offering no method', methodSelection(METHOD_NONE_ACCEPTABLE));
    if (b.length < 2 + n) return { kind: 'more' };
    const methods = b.subarray(2, 2 + n);
    if (!methods.includes(METHOD_NO_AUTH)) return this.refuse('no "no authentication" method offered', methodSelection(METHOD_NONE_ACCEPTABLE));
    this.buf = b.subarray(2 + n);
    this.st = 'request';
    return { kind: 'more', write: methodSelection(METHOD_NO_AUTH) };
  }

  /** RFC 1928 §4: VER | CMD | RSV | ATYP | DST.ADDR | DST.PORT. */
  private request(): HandshakeStep {
    const b = this.buf;
    if (b.length < 4) return { kind: 'more' };
    if (b[0] !== SOCKS_VERSION) return this.refuse(`SOCKS version ${b[0]} in the request`, reply(Rep.generalFailure));
    if (b[1] !== CMD_CONNECT) return this.refuse(`command ${b[1]} (only CONNECT)`, reply(Rep.commandNotSupported));
    if (b[3] !== ATYP_DOMAINNAME) return this.refuse(`address type ${b[3]} (only DOMAINNAME)`, reply(Rep.addressTypeNotSupported));
    if (b.length < 5) return { kind: 'more' };
    const len = b[4]!;
    if (b.length < 5 + len + 2) return { kind: 'more' };
    const addr = b.subarray(5, 5 + len).toString('latin1');
    const port = b.readUInt16BE(5 + len);
    const hash = addr.toLowerCase();
    if (!HASH.test(hash)) return this.refuse('DST.ADDR is not a hex SHA-1 (XEP-0065 §5.3.2)', reply(Rep.hostUnreachable, addr, port));
    this.st = 'requested';
    // Bytes a client pipelined behind its request (before the reply, let alone activation) are
    // kept, at most what one read delivered: the connection then stops reading until activation,
    // so TCP flow control, not our memory, holds anything more (XEP-0065 1.8 dropped "must not
    // drop early bytes" as a denial-of-service risk; holding them in the kernel costs nothing).
    const early = Buffer.from(b.subarray(5 + len + 2));
    this.buf = Buffer.alloc(0);
    return { kind: 'connect', hash, port, early };
  }

  /** The answer to a CONNECT once the caller decided (echoes DST.ADDR/DST.PORT, XEP-0065 §5.3.2). */
  static answer(rep: RepCode, hash: string, port: number): Buffer {
    return reply(rep, hash, port);
  }

  private refuse(reason: string, write?: Buffer): HandshakeStep {
    this.st = 'refused';
    this.buf = Buffer.alloc(0);
    return write ? { kind: 'refuse', reason, write } : { kind: 'refuse', reason };
  }
}
