// The few STUN/TURN messages the relay benchmark's client sends (RFC 8489 §5-§6, §14; RFC 8656
// §7, §9, §11-§12), written here rather than taken from the relay under test so a codec bug on
// either side cannot cancel out. Long-term credentials (RFC 8489 §9.2) with MESSAGE-INTEGRITY.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const MAGIC = 0x2112a442;
export const METHOD = { allocate: 0x003, refresh: 0x004, createPermission: 0x008, channelBind: 0x009 } as const;
export const ATTR = {
  username: 0x0006,
  messageIntegrity: 0x0008,
  errorCode: 0x0009,
  channelNumber: 0x000c,
  lifetime: 0x000d,
  xorPeerAddress: 0x0012,
  realm: 0x0014,
  nonce: 0x0015,
  xorRelayedAddress: 0x0016,
  requestedTransport: 0x0019,
} as const;

export interface StunMessage {
  type: number;
  txid: Buffer;
  attrs: Map<number, Buffer>;
}

export interface Credentials {
  username: string;
  realm: string;
  nonce: Buffer;
  key: Buffer;
}

export function longTermKey(username: string, realm: string, password: string): Buffer {
  return createHash('md5').update(`${username}:${realm}:${password}`).digest();
}

/** A request of `method` with `attrs` (in order), signed when `cred` is given. */
export function encodeRequest(method: number, attrs: Array<[number, Buffer]>, cred?: Credentials): { txid: Buffer; bytes: Buffer } {
  const txid = randomBytes(12);
  const all: Array<[number, Buffer]> = [...attrs];
  if (cred) all.push([ATTR.username, Buffer.from(cred.username)], [ATTR.realm, Buffer.from(cred.realm)], [ATTR.nonce, cred.nonce]);
  const body = Buffer.concat(all.map(([t, v]) => attr(t, v)));
  const header = Buffer.alloc(20);
  header.writeUInt16BE(method, 0); // class request: no class bits
  header.writeUInt32BE(MAGIC, 4);
  txid.copy(header, 8);
  if (!cred) {
    header.writeUInt16BE(body.length, 2);
    return { txid, bytes: Buffer.concat([header, body]) };
  }
  header.writeUInt16BE(body.length + 24, 2); // the length covers MESSAGE-INTEGRITY (§14.5)
  const mac = createHmac('sha1', cred.key).update(header).update(body).digest();
  return { txid, bytes: Buffer.concat([header, body, attr(ATTR.messageIntegrity, mac)]) };
}

function attr(type: number, value: Buffer): Buffer {
  const pad = (4 - (value.length % 4)) % 4;
  const out = Buffer.alloc(4 + value.length + pad);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(value.length, 2);
  value.copy(out, 4);
  return out;
}

export function decode(buf: Buffer): StunMessage | undefined {
  if (buf.length < 20 || (buf[0]! & 0xc0) !== 0 || buf.readUInt32BE(4) !== MAGIC) return undefined;
  const len = buf.readUInt16BE(2);
  if (20 + len > buf.length) return undefined;
  const attrs = new Map<number, Buffer>();
  for (let off = 20; off + 4 <= 20 + len;) {
    const t = buf.readUInt16BE(off);
    const l = buf.readUInt16BE(off + 2);
    if (!attrs.has(t)) attrs.set(t, buf.subarray(off + 4, off + 4 + l));
    off += 4 + l + ((4 - (l % 4)) % 4);
  }
  return { type: buf.readUInt16BE(0), txid: buf.subarray(8, 20), attrs };
}

/** Class bits of a message type (RFC 8489 §5): 0 request, 2 success, 3 error. */
export function classOf(type: number): number {
  return ((type >> 7) & 0x2) | ((type >> 4) & 0x1);
}

export function errorCode(m: StunMessage): number | undefined {
  const v = m.attrs.get(ATTR.errorCode);
  return v && v.length >= 4 ? (v[2]! & 0x7) * 100 + v[3]! : undefined;
}

/** XOR-PEER-ADDRESS / XOR-RELAYED-ADDRESS for IPv4 (RFC 8489 §14.2). */
export function xorAddress(ip: string, port: number): Buffer {
  const b = Buffer.alloc(8);
  b[1] = 0x01;
  b.writeUInt16BE(port ^ (MAGIC >>> 16), 2);
  const n = ip.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  b.writeUInt32BE((n ^ MAGIC) >>> 0, 4);
  return b;
}

export function readXorAddress(b: Buffer): { ip: string; port: number } {
  if (b[1] !== 0x01) throw new Error('the benchmark client speaks IPv4 only');
  const n = (b.readUInt32BE(4) ^ MAGIC) >>> 0;
  return { ip: [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.'), port: b.readUInt16BE(2) ^ (MAGIC >>> 16) };
}

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}
