import { createHash } from 'node:crypto';
import * as x509 from '@peculiar/x509';

const cache = new Map<string, Buffer>();

/**
 * RFC 5929 §4.1 tls-server-end-point: the hash of our certificate (DER) with the certificate's own
 * signature hash, except MD5 and SHA-1, which become SHA-256.
 */
export function serverEndPointBinding(der: Buffer): Buffer {
  const fp = createHash('sha256').update(der).digest('hex');
  const hit = cache.get(fp);
  if (hit) return hit;
  let hash = 'sha256';
  try {
    const alg = new x509.X509Certificate(der).signatureAlgorithm as { hash?: { name?: string } };
    const name = alg.hash?.name?.toUpperCase();
    if (name === 'SHA-384') hash = 'sha384';
    else if (name === 'SHA-512') hash = 'sha512';
  } catch {
    // unknown algorithm: SHA-256 as the RFC's floor
  }
  const value = createHash(hash).update(der).digest();
  if (cache.size > 16) cache.clear();
  cache.set(fp, value);
  return value;
}
