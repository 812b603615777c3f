import { X509Certificate } from 'node:crypto';

/**
 * Validation of a peer server's certificate chain, done here rather than by OpenSSL's
 * `rejectUnauthorized`: on an inbound s2s stream the peer is the TLS client, and OpenSSL then
 * requires the clientAuth purpose — which public CAs stopped putting in server certificates in
 * 2026 (the issue behind #13). A server certificate is a server certificate in either direction;
 * we accept an EKU of serverAuth or clientAuth (or none, or anyExtendedKeyUsage), and check the
 * rest of RFC 5280 §6.1 that matters here: signatures up to a trust anchor, validity periods,
 * CA flags on issuers. Revocation, path-length and name constraints are not checked (docs/federation.md).
 */
export type ChainVerdict = { ok: true } | { ok: false; reason: string };

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EKU = '2.5.29.37.0';

/** RFC 5280 §4.2.1.12: absent EKU means any use; otherwise one of serverAuth, clientAuth, any. */
export function acceptableServerPurpose(leaf: X509Certificate): boolean {
  // Node's X509Certificate.keyUsage is the *extended* key usage OID list (undefined when absent).
  const eku = leaf.keyUsage;
  if (!eku || eku.length === 0) return true;
  return eku.includes(SERVER_AUTH) || eku.includes(CLIENT_AUTH) || eku.includes(ANY_EKU);
}

/**
 * `presented`: the peer's certificates as sent, leaf first (Node's getPeerCertificate(true)
 * chain). `anchors`: the trust store. Intermediates may come in any order; the path is built by
 * issuer, at most `maxDepth` certificates long.
 */
export function verifyChain(presented: X509Certificate[], anchors: X509Certificate[], now: Date, maxDepth = 10): ChainVerdict {
  const leaf = presented[0];
  if (!leaf) return { ok: false, reason: 'no certificate presented' };
  if (!acceptableServerPurpose(leaf)) return { ok: false, reason: 'certificate is not for a server (extended key usage)' };
  const pool = presented.slice(1);
  let current = leaf;
  for (let depth = 0; depth < maxDepth; depth++) {
    const expiry = validity(current, now);
    if (expiry) return { ok: false, reason: expiry };
    const anchor = anchors.find((a) => current.checkIssued(a) && current.verify(a.publicKey));
    if (anchor) {
      if (anchor.fingerprint256 === current.fingerprint256) return { ok: true };
      const anchorExpiry = validity(anchor, now);
      if (anchorExpiry) return { ok: false, reason: `trust anchor: ${anchorExpiry}` };
      return { ok: true };
    }
    const issuer = pool.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey));
    if (!issuer)
      return { ok: false, reason: current === leaf && isSelfIssued(leaf) ? 'self-signed certificate not in the trust store' : 'no path to a trusted issuer' };
    if (!issuer.ca) return { ok: false, reason: `issuer ${issuer.subject.replace(/\n/g, ', ')} is not a CA` };
    current = issuer;
  }
  return { ok: false, reason: 'certificate chain too long' };
}

function validity(c: X509Certificate, now: Date): string | undefined {
  if (now < c.validFromDate) return 'certificate not yet valid';
  if (now > c.validToDate) return 'certificate expired';
  return undefined;
}

function isSelfIssued(c: X509Certificate): boolean {
  return c.checkIssued(c);
}

/** PEM bundle (one or more CERTIFICATE blocks) → certificates; the trust store's file format. */
export function parsePemBundle(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}
