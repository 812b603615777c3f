import { createHash, type X509Certificate } from 'node:crypto';

/**
 * TLSA certificate associations (RFC 6698 §2.1) and how one is matched against a certificate
 * (RFC 6698 §2.1.2-§2.1.3): the selected content — the whole certificate DER (selector 0) or its
 * SubjectPublicKeyInfo DER (selector 1) — compared in full (matching type 0) or as its SHA-256 (1)
 * or SHA-512 (2) digest.
 */
export interface Tlsa {
  /** RFC 7218 names: 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE. */
  usage: number;
  /** 0 Cert, 1 SPKI. */
  selector: number;
  /** 0 Full, 1 SHA2-256, 2 SHA2-512. */
  matching: number;
  data: Buffer;
}

export const TLSA_USAGE = { PKIX_TA: 0, PKIX_EE: 1, DANE_TA: 2, DANE_EE: 3 } as const;
export const TLSA_USAGE_NAME = ['PKIX-TA', 'PKIX-EE', 'DANE-TA', 'DANE-EE'] as const;

const DIGEST_LENGTH: Record<number, number> = { 1: 32, 2: 64 };

/**
 * RFC 6698 §4.1 / RFC 7671 §4: a record with an unknown usage, selector or matching type, or a
 * digest of the wrong length, is unusable and ignored. RFC 7671 §9 (digest algorithm agility):
 * for one usage and selector, when records with SHA-512 are published, those with the weaker
 * SHA-256 are ignored (so a server can roll to a stronger digest without weaker records staying
 * a way in). Full-content records (matching 0) are kept as they are.
 */
export function usableTlsa(records: Tlsa[]): Tlsa[] {
  const known = records.filter(
    (r) =>
      r.usage >= 0 &&
      r.usage <= 3 &&
      (r.selector === 0 || r.selector === 1) &&
      (r.matching === 0 ? r.data.length > 0 : DIGEST_LENGTH[r.matching] === r.data.length),
  );
  const strongest = new Map<string, number>();
  for (const r of known) if (r.matching !== 0) strongest.set(`${r.usage}/${r.selector}`, Math.max(strongest.get(`${r.usage}/${r.selector}`) ?? 0, r.matching));
  return known.filter((r) => r.matching === 0 || r.matching === strongest.get(`${r.usage}/${r.selector}`));
}

/** Whether `cert` is the one `record` associates (its usage is the caller's business). */
export function tlsaMatches(record: Tlsa, cert: X509Certificate): boolean {
  const content = record.selector === 0 ? cert.raw : spkiOf(cert);
  const value =
    record.matching === 0
      ? content
      : createHash(record.matching === 1 ? 'sha256' : 'sha512')
          .update(content)
          .digest();
  return value.length === record.data.length && value.equals(record.data);
}

function spkiOf(cert: X509Certificate): Buffer {
  return cert.publicKey.export({ type: 'spki', format: 'der' });
}

/** The record's data as its zone file shows it (`3 1 1 ABCD…`), for logs and docs. */
export function tlsaText(r: Tlsa): string {
  return `${r.usage} ${r.selector} ${r.matching} ${r.data.toString('hex').toUpperCase()}`;
}

/** The TLSA record an operator publishes for `cert` (`openssl x509 -pubkey | sha256` done in code), e.g. `3 1 1 <hex>`. */
export function tlsaFor(cert: X509Certificate, usage: number, selector: number, matching: number): Tlsa {
  const content = selector === 0 ? cert.raw : spkiOf(cert);
  const data =
    matching === 0
      ? Buffer.from(content)
      : createHash(matching === 1 ? 'sha256' : 'sha512')
          .update(content)
          .digest();
  return { usage, selector, matching, data };
}
