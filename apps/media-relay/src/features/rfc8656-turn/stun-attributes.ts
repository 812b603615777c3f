import { isIPv4, isIPv6 } from 'node:net';
import { MAGIC_COOKIE } from './stun-message.codec.js';

/** A transport address as STUN carries it (RFC 8489 §14.1). */
export interface TransportAddress {
  family: 4 | 6;
  address: string;
  port: number;
}

const FAMILY_V4 = 0x01;
const FAMILY_V6 = 0x02;

export function ipToBytes(ip: string): Buffer | undefined {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) return undefined;
  let text = ip.replace(/%.*$/, '');
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4tail) {
    const b = Buffer.from(v4tail[1]!.split('.').map(Number));
    text = `${text.slice(0, -v4tail[1]!.length)}${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export function bytesToIp(b: Buffer): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  // compress the longest run of zero groups (RFC 5952 §4.2)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** MAPPED-ADDRESS layout; undefined when malformed. */
export function decodeAddress(v: Buffer | undefined): TransportAddress | undefined {
  if (!v || v.length < 4) return undefined;
  const fam = v[1];
  const port = v.readUInt16BE(2);
  if (fam === FAMILY_V4 && v.length === 8) return { family: 4, port, address: bytesToIp(v.subarray(4, 8)) };
  if (fam === FAMILY_V6 && v.length === 20) return { family: 6, port, address: bytesToIp(v.subarray(4, 20)) };
  return undefined;
}

export function encodeAddress(a: TransportAddress): Buffer {
  const ip = ipToBytes(a.address);
  if (!ip || (a.family === 4) !== (ip.length === 4)) throw new TypeError(`not an IPv${a.family} address: ${a.address}`);
  const out = Buffer.alloc(4 + ip.length);
  out[1] = a.family === 4 ? FAMILY_V4 : FAMILY_V6;
  out.writeUInt16BE(a.port, 2);
  ip.copy(out, 4);
  return out;
}

/** XOR with the magic cookie (and the transaction id for IPv6), RFC 8489 §14.2. */
function xorMask(family: 4 | 6, transactionId: Buffer): Buffer {
  const cookie = Buffer.alloc(4);
  cookie.writeUInt32BE(MAGIC_COOKIE);
  return family === 4 ? cookie : Buffer.concat([cookie, transactionId]);
}

function xorInPlace(v: Buffer, transactionId: Buffer): Buffer {
  const out = Buffer.from(v);
  out[2]! ^= 0x21;
  out[3]! ^= 0x12;
  const mask = xorMask(out[1] === FAMILY_V4 ? 4 : 6, transactionId);
  for (let i = 0; i < out.length - 4 && i < mask.length; i++) out[4 + i]! ^= mask[i]!;
  return out;
}

export function decodeXorAddress(v: Buffer | undefined, transactionId: Buffer): TransportAddress | undefined {
  if (!v || v.length < 4 || transactionId.length !== 12) return undefined;
  return decodeAddress(xorInPlace(v, transactionId));
}

export function encodeXorAddress(a: TransportAddress, transactionId: Buffer): Buffer {
  return xorInPlace(encodeAddress(a), transactionId);
}

/** ERROR-CODE (RFC 8489 §14.8): class and number, then a UTF-8 reason phrase. */
export function encodeErrorCode(code: number, reason: string): Buffer {
  if (code < 300 || code > 699) throw new RangeError(`STUN error codes are 300-699, got ${code}`);
  const text = Buffer.from(reason, 'utf8').subarray(0, 763);
  const out = Buffer.alloc(4 + text.length);
  out[2] = Math.floor(code / 100);
  out[3] = code % 100;
  text.copy(out, 4);
  return out;
}

export function decodeErrorCode(v: Buffer | undefined): { code: number; reason: string } | undefined {
  if (!v || v.length < 4) return undefined;
  const cls = v[2]! & 0x07;
  const num = v[3]!;
  if (cls < 3 || cls > 6 || num > 99) return undefined;
  return { code: cls * 100 + num, reason: v.subarray(4).toString('utf8') };
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** UNKNOWN-ATTRIBUTES (RFC 8489 §14.9). */
export function encodeUnknownAttributes(types: number[]): Buffer {
  const out = Buffer.alloc(types.length * 2);
  types.forEach((t, i) => out.writeUInt16BE(t, i * 2));
  return out;
}

/** CHANNEL-NUMBER (RFC 8656 §18.1): 16-bit number then RFFU. */
export function decodeChannelNumber(v: Buffer | undefined): number | undefined {
  return v && v.length === 4 ? v.readUInt16BE(0) : undefined;
}

export function encodeChannelNumber(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(n);
  return b;
}
