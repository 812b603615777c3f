import { createPublicKey, type KeyObject, type X509Certificate } from 'node:crypto';
import { matchServerIdentity, presentedIdentities, type IdentityMatch } from './cert-identities.js';
import { acceptableServerPurpose, verifyChain, type ChainVerdict } from './peer-certificate.js';
import { TLSA_USAGE, TLSA_USAGE_NAME, tlsaMatches, type Tlsa } from './tlsa.js';

/**
 * A peer server's certificate checked against what DNSSEC published for its endpoint (RFC 7673
 * §4, RFC 6698 §2.1.1, RFC 7671 §5):
 *
 * - DANE-EE(3): the leaf matches → authenticated; no PKIX path, no name and no validity check
 *   (RFC 7671 §5.1, RFC 7673 §4.2: "the client MUST ignore validation checks from [RFC5280] and
 *   reference identifier checks from [RFC6125]"). A self-signed partner federates this way.
 * - DANE-TA(2): a certificate the peer sent above its leaf matches, or (`2 1 0`) the record's own
 *   public key signed one it sent (RFC 7671 §5.2.2) → the chain up to it must verify (signatures,
 *   validity, CA flags) and the leaf must name a reference identifier (RFC 7671 §5.2, RFC 7673
 *   §4.2); the local trust store plays no part.
 * - PKIX-EE(1) / PKIX-TA(0): constraints on top of the usual PKIX validation with our trust store
 *   (RFC 6698 §2.1.1): the leaf, or a CA certificate of the path, must match.
 * - No record matches: a hard failure (RFC 6698 §2.1, RFC 7673 §3.4): the caller must not fall
 *   back to anything weaker (no dialback).
 *
 * `names` are the reference identifiers: the service domain (the XMPP domain) and, the SRV answer
 * being secure, the SRV target host name (RFC 7673 §4.1, "SRV is secure").
 */
export type DaneVerdict = { ok: true; by: string; identity?: IdentityMatch } | { ok: false; reason: string; hard: boolean };

export function verifyWithTlsa(chain: X509Certificate[], tlsa: Tlsa[], names: string[], anchors: X509Certificate[], now: Date): DaneVerdict {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'the peer presented no certificate', hard: true };
  const of = (usage: number) => tlsa.filter((r) => r.usage === usage);
  if (of(TLSA_USAGE.DANE_EE).some((r) => tlsaMatches(r, leaf))) return { ok: true, by: 'DANE-EE' };
  for (let i = 1; i < chain.length; i++) {
    const ta = chain[i]!;
    if (!of(TLSA_USAGE.DANE_TA).some((r) => tlsaMatches(r, ta))) continue;
    const path = verifyChain(chain.slice(0, i + 1), [ta], now);
    if (!path.ok) return { ok: false, reason: `DANE-TA: ${path.reason}`, hard: true };
    const identity = nameMatch(leaf, names);
    if (!identity) return { ok: false, reason: `DANE-TA: the certificate names none of ${names.join(', ')}`, hard: true };
    return { ok: true, by: 'DANE-TA', identity };
  }
  // RFC 7671 §5.2.2: a DANE-TA record holding a whole public key (SPKI, Full) is a trust anchor the
  // server need not send: the highest certificate it sends that this key signed ends the path.
  for (const r of of(TLSA_USAGE.DANE_TA).filter((t) => t.selector === 1 && t.matching === 0)) {
    const key = publicKeyOf(r.data);
    if (!key) continue;
    const top = chain.findLastIndex((c) => verifiesWith(c, key));
    if (top < 0) continue;
    const path = pathToSigner(chain, top, now);
    if (!path.ok) return { ok: false, reason: `DANE-TA: ${path.reason}`, hard: true };
    const identity = nameMatch(leaf, names);
    if (!identity) return { ok: false, reason: `DANE-TA: the certificate names none of ${names.join(', ')}`, hard: true };
    return { ok: true, by: 'DANE-TA', identity };
  }
  const pkixEe = of(TLSA_USAGE.PKIX_EE).some((r) => tlsaMatches(r, leaf));
  const pkixTa = of(TLSA_USAGE.PKIX_TA).some((r) =>
    [...chain.slice(1), ...anchors.filter((a) => chain.some((c) => c.checkIssued(a)))].some((c) => tlsaMatches(r, c)),
  );
  if (pkixEe || pkixTa) {
    const by = pkixEe ? 'PKIX-EE' : 'PKIX-TA';
    const pkix = verifyPkix(chain, names, anchors, now);
    return pkix.ok ? { ok: true, by, identity: pkix.identity } : { ok: false, reason: `${by}: ${pkix.reason}`, hard: true };
  }
  const usages = [...new Set(tlsa.map((r) => TLSA_USAGE_NAME[r.usage]))].join(', ');
  return { ok: false, reason: `no TLSA record (${usages}) matches the certificate`, hard: true };
}

/** RFC 7673 §4.1: PKIX validation with our trust store, the leaf naming one of `names`. Not a hard failure (dialback may follow). */
export function verifyPkix(
  chain: X509Certificate[],
  names: string[],
  anchors: X509Certificate[],
  now: Date,
): { ok: true; identity: IdentityMatch } | { ok: false; reason: string } {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'the peer presented no certificate' };
  const path = verifyChain(chain, anchors, now);
  if (!path.ok) return path;
  const identity = nameMatch(leaf, names);
  return identity ? { ok: true, identity } : { ok: false, reason: `the certificate does not name ${names.join(' or ')}` };
}

/** The path from the leaf up to `chain[top]`, which the TLSA key signed (checked by the caller). */
function pathToSigner(chain: X509Certificate[], top: number, now: Date): ChainVerdict {
  if (top > 0) return verifyChain(chain.slice(0, top + 1), [chain[top]!], now);
  const leaf = chain[0]!;
  if (now < leaf.validFromDate || now > leaf.validToDate) return { ok: false, reason: 'certificate not valid now' };
  return acceptableServerPurpose(leaf) ? { ok: true } : { ok: false, reason: 'certificate is not for a server (extended key usage)' };
}

function publicKeyOf(spki: Buffer): KeyObject | undefined {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
}

function verifiesWith(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

function nameMatch(leaf: X509Certificate, names: string[]): IdentityMatch | undefined {
  const ids = presentedIdentities(leaf);
  for (const n of names) {
    const m = matchServerIdentity(ids, n);
    if (m) return m;
  }
  return undefined;
}
