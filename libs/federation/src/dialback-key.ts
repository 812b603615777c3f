import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * XEP-0185 §2 (Dialback Key Generation and Validation, v1.0), as XEP-0220 §4.2 recommends:
 *   key = HEX( HMAC-SHA256( SHA256(Secret), Receiving Server ' ' Originating Server ' ' Stream ID ) )
 * SHA256(Secret) enters the HMAC as its hex string, as in the XEP's worked example. Only our own
 * servers ever check a key we made, so the form matters for one reason: every edge of one
 * deployment shares `s2s.dialbackSecret` and can verify a key another edge made (XEP-0220 §2.1.2:
 * the Authoritative Server may be a different machine than the Originating one).
 */
export function dialbackKey(secret: string, receiving: string, originating: string, streamId: string): string {
  const keyed = createHash('sha256').update(secret, 'utf8').digest('hex');
  return createHmac('sha256', keyed).update(`${receiving} ${originating} ${streamId}`, 'utf8').digest('hex');
}

/** Constant-time check of a key received in `<db:verify/>` (XEP-0220 §2.3). */
export function dialbackKeyValid(secret: string, receiving: string, originating: string, streamId: string, key: string): boolean {
  const expected = Buffer.from(dialbackKey(secret, receiving, originating, streamId), 'utf8');
  const got = Buffer.from(key.trim().toLowerCase(), 'utf8');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
