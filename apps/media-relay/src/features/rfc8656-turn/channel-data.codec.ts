import { HEADER_BYTES, MAGIC_COOKIE } from './stun-message.codec.js';

/**
 * ChannelData messages (RFC 8656 §12.4): a 4-byte header (channel number, data length) then the
 * data; over TCP and TLS padded to a multiple of 4 (§12.5), over UDP not. RFC 8656 narrowed the
 * numbers to 0x4000-0x4FFF; RFC 5766 clients still in use (coturn's turnutils_uclient among
 * them) pick from 0x4000-0x7FFE, so those are accepted too when a client binds them. This
 * server never picks a number itself.
 */
export const MIN_CHANNEL = 0x4000;
export const MAX_CHANNEL = 0x7ffe;

export function isChannelNumber(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_CHANNEL && n <= MAX_CHANNEL;
}

/** First two bits 01: ChannelData's space (RFC 8656 §12). */
export function looksLikeChannelData(buf: Buffer): boolean {
  return buf.length >= 4 && (buf[0]! & 0xc0) === 0x40;
}

export function decodeChannelData(buf: Buffer): { channel: number; data: Buffer } | undefined {
  if (!looksLikeChannelData(buf)) return undefined;
  const channel = buf.readUInt16BE(0);
  const length = buf.readUInt16BE(2);
  if (!isChannelNumber(channel) || 4 + length > buf.length) return undefined;
  return { channel, data: buf.subarray(4, 4 + length) };
}

export function encodeChannelData(channel: number, data: Buffer, pad: boolean): Buffer {
  if (!isChannelNumber(channel)) throw new RangeError(`channel number 0x${channel.toString(16)} outside 0x4000-0x7FFE`);
  if (data.length > 0xffff) throw new RangeError('ChannelData longer than 65535 bytes');
  const padding = pad ? (4 - (data.length % 4)) % 4 : 0;
  const out = Buffer.alloc(4 + data.length + padding);
  out.writeUInt16BE(channel, 0);
  out.writeUInt16BE(data.length, 2);
  data.copy(out, 4);
  return out;
}

export type FrameResult = { kind: 'need' } | { kind: 'frame'; length: number } | { kind: 'error'; reason: string };

/**
 * On a stream (TCP, TLS) the next message's length from its first bytes (RFC 8656 §12.5, RFC 8489
 * §6.2.2): a STUN header says its length; ChannelData is padded to 4. Anything else ends the
 * connection: there is no way to find the next message boundary.
 */
export function nextFrame(buf: Buffer): FrameResult {
  if (buf.length < 4) return { kind: 'need' };
  const top = buf[0]! & 0xc0;
  if (top === 0x40) {
    const channel = buf.readUInt16BE(0);
    if (!isChannelNumber(channel)) return { kind: 'error', reason: `ChannelData with reserved channel number 0x${channel.toString(16)}` };
    const length = buf.readUInt16BE(2);
    return { kind: 'frame', length: 4 + length + ((4 - (length % 4)) % 4) };
  }
  if (top !== 0) return { kind: 'error', reason: 'neither STUN nor ChannelData' };
  const length = buf.readUInt16BE(2);
  if (length % 4 !== 0) return { kind: 'error', reason: 'STUN length not a multiple of 4' };
  if (buf.length < 8) return { kind: 'need' };
  if (buf.readUInt32BE(4) !== MAGIC_COOKIE) return { kind: 'error', reason: 'STUN message without the magic cookie' };
  return { kind: 'frame', length: HEADER_BYTES + length };
}
