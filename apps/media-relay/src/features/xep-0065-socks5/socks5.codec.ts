/**
 * The part of SOCKS5 (RFC 1928) XEP-0065 uses: no authentication, CONNECT to a DOMAINNAME that is
 * the stream's hash, port 0 (XEP-0065 §5.3.2, §6.3.2; "SOCKS5 Parameter Mapping").
 */
export const SOCKS_VERSION = 0x05;
/** RFC 1928 §3: X'00' NO AUTHENTICATION REQUIRED, X'FF' NO ACCEPTABLE METHODS. */
export const METHOD_NO_AUTH = 0x00;
export const METHOD_NONE_ACCEPTABLE = 0xff;
/** RFC 1928 §4: CONNECT; BIND (2) and UDP ASSOCIATE (3) are not offered. */
export const CMD_CONNECT = 0x01;
export const ATYP_IPV4 = 0x01;
export const ATYP_DOMAINNAME = 0x03;
export const ATYP_IPV6 = 0x04;

/** RFC 1928 §6 reply codes (REP). */
export const Rep = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  hostUnreachable: 0x04,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;
export type RepCode = (typeof Rep)[keyof typeof Rep];

/** RFC 1928 §3: the server's METHOD selection message. */
export function methodSelection(method: number): Buffer {
  return Buffer.from([SOCKS_VERSION, method]);
}

/**
 * RFC 1928 §6 reply. XEP-0065 §5.3.2: BND.ADDR and BND.PORT echo the request's DST.ADDR and
 * DST.PORT, so a client may check it reached the stream it asked for.
 */
export function reply(rep: RepCode, dstAddr = '', dstPort = 0): Buffer {
  const addr = Buffer.from(dstAddr, 'latin1');
  const out = Buffer.alloc(7 + addr.length);
  out[0] = SOCKS_VERSION;
  out[1] = rep;
  out[2] = 0x00;
  out[3] = ATYP_DOMAINNAME;
  out[4] = addr.length;
  addr.copy(out, 5);
  out.writeUInt16BE(dstPort, 5 + addr.length);
  return out;
}

/** The client side, for forwarding between replicas and for tests: greeting and CONNECT request. */
export function clientGreeting(): Buffer {
  return Buffer.from([SOCKS_VERSION, 1, METHOD_NO_AUTH]);
}

export function connectRequest(host: string, port = 0): Buffer {
  const addr = Buffer.from(host, 'latin1');
  if (addr.length > 255) throw new Error('a SOCKS5 DOMAINNAME is at most 255 bytes');
  return Buffer.concat([Buffer.from([SOCKS_VERSION, CMD_CONNECT, 0x00, ATYP_DOMAINNAME, addr.length]), addr, Buffer.from([port >> 8, port & 0xff])]);
}

/** Length of a complete reply at the start of `b` (RFC 1928 §6), or 0 while it is incomplete. */
export function replyLength(b: Buffer): number {
  if (b.length < 5) return 0;
  const atyp = b[3];
  const addrLen = atyp === ATYP_IPV4 ? 4 : atyp === ATYP_IPV6 ? 16 : b[4]! + 1;
  const total = 4 + addrLen + 2;
  return b.length >= total ? total : 0;
}
