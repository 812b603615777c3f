import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Attr, HEADER_BYTES, type StunMessage } from './stun-message.codec.js';

/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5, HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 (§14.6) and FINGERPRINT
 * (§14.7, CRC-32 xor 0x5354554e). Each covers the message up to its own attribute, with the
 * header's length field rewritten as if that attribute ended the message.
 */
const FINGERPRINT_XOR = 0x5354554e;

export type PasswordAlgorithm = 'md5' | 'sha256';

/** Long-term credential key (RFC 8489 §9.2.2): H(username ":" realm ":" OpaqueString(password)). */
export function longTermKey(username: string, realm: string, password: string, algorithm: PasswordAlgorithm = 'md5'): Buffer {
  return createHash(algorithm)
    .update(`${username}:${realm}:${password.normalize('NFC')}`, 'utf8')
    .digest();
}

/** The bytes an integrity attribute at `offset` covers, the length field made to end at `end`. */
function covered(raw: Buffer, offset: number, end: number): Buffer {
  const head = Buffer.from(raw.subarray(0, offset));
  head.writeUInt16BE(end - HEADER_BYTES, 2);
  return head;
}

export type IntegrityCheck = 'absent' | 'valid' | 'invalid';

/**
 * Checks MESSAGE-INTEGRITY-SHA256 when present, else MESSAGE-INTEGRITY (RFC 8489 §9.2.4: a
 * receiver that understands both uses the SHA-256 one).
 */
export function checkIntegrity(msg: StunMessage, key: Buffer): { result: IntegrityCheck; sha256: boolean } {
  const sha = msg.attributes.find((a) => a.type === Attr.MessageIntegritySha256);
  if (sha) {
    const len = sha.value.length;
    if (len < 16 || len > 32 || len % 4 !== 0) return { result: 'invalid', sha256: true };
    const mac = createHmac('sha256', key)
      .update(covered(msg.raw, sha.offset, sha.offset + 4 + len))
      .digest()
      .subarray(0, len);
    return { result: timingSafeEqual(mac, sha.value) ? 'valid' : 'invalid', sha256: true };
  }
  const mi = msg.attributes.find((a) => a.type === Attr.MessageIntegrity);
  if (!mi) return { result: 'absent', sha256: false };
  if (mi.value.length !== 20) return { result: 'invalid', sha256: false };
  const mac = createHmac('sha1', key)
    .update(covered(msg.raw, mi.offset, mi.offset + 24))
    .digest();
  return { result: timingSafeEqual(mac, mi.value) ? 'valid' : 'invalid', sha256: false };
}

/** FINGERPRINT present and right, present and wrong, or absent. */
export function checkFingerprint(msg: StunMessage): IntegrityCheck {
  const fp = msg.attributes.find((a) => a.type === Attr.Fingerprint);
  if (!fp) return 'absent';
  if (fp.value.length !== 4) return 'invalid';
  const want = (crc32(covered(msg.raw, fp.offset, fp.offset + 8)) ^ FINGERPRINT_XOR) >>> 0;
  return fp.value.readUInt32BE(0) === want ? 'valid' : 'invalid';
}

function appendAttr(msg: Buffer, type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(msg.length + 4 + value.length);
  msg.copy(out);
  out.writeUInt16BE(type, msg.length);
  out.writeUInt16BE(value.length, msg.length + 2);
  value.copy(out, msg.length + 4);
  out.writeUInt16BE(out.length - HEADER_BYTES, 2);
  return out;
}

export interface SealOptions {
  /** Adds MESSAGE-INTEGRITY (and MESSAGE-INTEGRITY-SHA256 with `sha256`) under this key. */
  key?: Buffer | undefined;
  sha256?: boolean;
  fingerprint?: boolean;
}

/** Appends the integrity attributes and the fingerprint to an encoded message, in RFC order. */
export function seal(msg: Buffer, opts: SealOptions): Buffer {
  let out = msg;
  if (opts.key) {
    if (opts.sha256) {
      const end = out.length + 36;
      const mac = createHmac('sha256', opts.key)
        .update(covered(out, out.length, end))
        .digest();
      out = appendAttr(out, Attr.MessageIntegritySha256, mac);
    } else {
      const mac = createHmac('sha1', opts.key)
        .update(covered(out, out.length, out.length + 24))
        .digest();
      out = appendAttr(out, Attr.MessageIntegrity, mac);
    }
  }
  if (opts.fingerprint) {
    const crc = (crc32(covered(out, out.length, out.length + 8)) ^ FINGERPRINT_XOR) >>> 0;
    const v = Buffer.alloc(4);
    v.writeUInt32BE(crc);
    out = appendAttr(out, Attr.Fingerprint, v);
  }
  return out;
}
