/**
 * STUN message framing (RFC 8489 §5, §14): a 20-byte header (type, length, magic cookie,
 * 96-bit transaction id) and TLV attributes padded to 4 bytes. Decoding never throws: anything
 * that is not a well-formed STUN message comes back as `undefined` (a malformed packet is dropped,
 * never a crash). TURN's methods and attributes (RFC 8656 §17, §18) are listed here too.
 */
export const MAGIC_COOKIE = 0x2112a442;
export const HEADER_BYTES = 20;

export const Method = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const;

export const Class = { Request: 0b00, Indication: 0b01, Success: 0b10, Error: 0b11 } as const;
export type StunClass = (typeof Class)[keyof typeof Class];

export const Attr = {
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  Icmp: 0x8004,
} as const;

export interface StunAttribute {
  type: number;
  value: Buffer;
  /** Byte offset of the attribute's header inside `raw` (integrity and fingerprint cover what precedes it). */
  offset: number;
}

export interface StunMessage {
  method: number;
  cls: StunClass;
  transactionId: Buffer;
  attributes: StunAttribute[];
  /** The message's own bytes (header + Length), without trailing datagram bytes. */
  raw: Buffer;
}

/** At most this many attributes are read from one message (a bound on work per packet). */
export const MAX_ATTRIBUTES = 64;

/** First two bits zero and the magic cookie: how STUN is told from ChannelData and media (RFC 8489 §6). */
export function looksLikeStun(buf: Buffer): boolean {
  return buf.length >= HEADER_BYTES && (buf[0]! & 0xc0) === 0 && buf.readUInt32BE(4) === MAGIC_COOKIE;
}

export function messageType(method: number, cls: StunClass): number {
  // M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 §5, figure 3)
  return ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f) | ((cls & 0b10) << 7) | ((cls & 0b01) << 4);
}

export function decodeStun(buf: Buffer): StunMessage | undefined {
  if (!looksLikeStun(buf)) return undefined;
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0 || HEADER_BYTES + length > buf.length) return undefined;
  const raw = buf.subarray(0, HEADER_BYTES + length);
  const type = raw.readUInt16BE(0);
  const method = ((type & 0x3e00) >> 2) | ((type & 0x00e0) >> 1) | (type & 0x000f);
  const cls = (((type & 0x0100) >> 7) | ((type & 0x0010) >> 4)) as StunClass;
  const attributes: StunAttribute[] = [];
  let at = HEADER_BYTES;
  let sealed = false; // after MESSAGE-INTEGRITY only MI-SHA256 and FINGERPRINT count (RFC 8489 §14.5)
  while (at < raw.length) {
    if (at + 4 > raw.length || attributes.length >= MAX_ATTRIBUTES) return undefined;
    const atype = raw.readUInt16BE(at);
    const alen = raw.readUInt16BE(at + 2);
    const end = at + 4 + alen;
    if (end > raw.length) return undefined;
    const fingerprint = atype === Attr.Fingerprint;
    if (!sealed || fingerprint || (atype === Attr.MessageIntegritySha256 && !hasType(attributes, Attr.MessageIntegritySha256))) {
      attributes.push({ type: atype, value: raw.subarray(at + 4, end), offset: at });
    }
    if (atype === Attr.MessageIntegrity || atype === Attr.MessageIntegritySha256) sealed = true;
    at = end + ((4 - (alen % 4)) % 4);
    if (fingerprint) break; // FINGERPRINT is last (RFC 8489 §14.7)
  }
  if (at > raw.length) return undefined;
  return { method, cls, transactionId: raw.subarray(8, 20), attributes, raw };
}

const hasType = (attrs: StunAttribute[], type: number): boolean => attrs.some((a) => a.type === type);

export function getAttr(msg: StunMessage, type: number): Buffer | undefined {
  return msg.attributes.find((a) => a.type === type)?.value;
}

export interface OutAttribute {
  type: number;
  value: Buffer | string;
}

/** Header and attributes, without integrity or fingerprint (see integrity.ts for those). */
export function encodeStun(method: number, cls: StunClass, transactionId: Buffer, attributes: OutAttribute[]): Buffer {
  if (transactionId.length !== 12) throw new RangeError('a STUN transaction id is 12 bytes');
  const parts: Buffer[] = [Buffer.alloc(HEADER_BYTES)];
  let length = 0;
  for (const a of attributes) {
    const value = typeof a.value === 'string' ? Buffer.from(a.value, 'utf8') : a.value;
    if (value.length > 0xffff) throw new RangeError(`STUN attribute 0x${a.type.toString(16)} longer than 65535 bytes`);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(a.type, 0);
    head.writeUInt16BE(value.length, 2);
    const pad = (4 - (value.length % 4)) % 4;
    parts.push(head, value, Buffer.alloc(pad));
    length += 4 + value.length + pad;
  }
  if (length > 0xffff - 4 - 32 - 8) throw new RangeError('STUN message too long');
  const out = Buffer.concat(parts);
  out.writeUInt16BE(messageType(method, cls), 0);
  out.writeUInt16BE(length, 2);
  out.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(out, 8);
  return out;
}

/** Comprehension-required attributes are 0x0000-0x7FFF (RFC 8489 §14): these ones we understand. */
const KNOWN_REQUIRED = new Set<number>([
  Attr.MappedAddress,
  Attr.Username,
  Attr.MessageIntegrity,
  Attr.ErrorCode,
  Attr.UnknownAttributes,
  Attr.ChannelNumber,
  Attr.Lifetime,
  Attr.XorPeerAddress,
  Attr.Data,
  Attr.Realm,
  Attr.Nonce,
  Attr.XorRelayedAddress,
  Attr.RequestedAddressFamily,
  Attr.EvenPort,
  Attr.RequestedTransport,
  Attr.MessageIntegritySha256,
  Attr.PasswordAlgorithm,
  Attr.XorMappedAddress,
  Attr.ReservationToken,
  Attr.Priority,
  Attr.UseCandidate,
]);

/** Comprehension-required attributes this server does not know (answered with 420, RFC 8489 §6.3.1). */
export function unknownRequired(msg: StunMessage): number[] {
  return msg.attributes.filter((a) => a.type < 0x8000 && !KNOWN_REQUIRED.has(a.type)).map((a) => a.type);
}
