import type { X509Certificate } from 'node:crypto';
import {
  daneTargets,
  matchServerIdentity,
  presentedIdentities,
  verifyChain,
  verifyPkix,
  verifyWithTlsa,
  type DaneEndpoint,
  type DnsLookup,
} from '#libs/federation';

/** `by`: how the certificate was accepted (an IdentityMatch such as 'srv-id', or a TLSA usage such as 'DANE-EE'). */
export type PeerVerdict = { ok: true; by: string } | { ok: false; reason: string; hard?: boolean };

/**
 * RFC 6120 §13.7.2 for a peer server: its chain leads to a trusted CA (serverAuth-only EKU
 * accepted either way, libs/federation) and it names `domain` (SRV-ID, XmppAddr or DNS-ID, RFC 9525).
 */
export function verifyPeer(chain: X509Certificate[], domain: string, anchors: X509Certificate[], now = new Date()): PeerVerdict {
  const leaf = chain[0];
  if (!leaf) return { ok: false, reason: 'the peer presented no certificate' };
  const path = verifyChain(chain, anchors, now);
  if (!path.ok) return path;
  const by = matchServerIdentity(presentedIdentities(leaf), domain);
  return by ? { ok: true, by } : { ok: false, reason: `the certificate does not name ${domain}` };
}

/**
 * The receiving server's certificate as the initiating server sees it. Without `dane` (a route, or
 * no secure SRV answer): `verifyPeer`. With it (RFC 7673 §4): usable TLSA records decide, and a
 * mismatch is `hard` (no dialback after it); without records, PKIX with the domain or the SRV
 * target host name as reference identifiers (§4.1, "SRV is secure").
 */
export function verifyOutboundPeer(
  chain: X509Certificate[],
  domain: string,
  dane: DaneEndpoint | undefined,
  anchors: X509Certificate[],
  now = new Date(),
): PeerVerdict {
  if (!dane) return verifyPeer(chain, domain, anchors, now);
  const names = [domain, dane.targetHost];
  if (dane.tlsa.length > 0) return verifyWithTlsa(chain, dane.tlsa, names, anchors, now);
  const pkix = verifyPkix(chain, names, anchors, now);
  return pkix.ok ? { ok: true, by: pkix.identity } : pkix;
}

/**
 * An inbound peer's certificate checked against the TLSA records of its own domain's server
 * endpoints (the receiving side of RFC 7673, as Prosody's DANE does): the domain's SRV answer must
 * be secure and one of its endpoints' usable TLSA records must accept the certificate, with the
 * domain or that target host as reference identifier. A mismatch is not a hard failure here: the
 * peer may use another certificate as a client, and dialback (when allowed) is still offered.
 */
export async function verifyInboundByDane(
  chain: X509Certificate[],
  domain: string,
  lookup: DnsLookup,
  anchors: X509Certificate[],
  now = new Date(),
): Promise<PeerVerdict> {
  const found = await daneTargets(domain, lookup);
  if (found.kind !== 'targets')
    return { ok: false, reason: found.kind === 'insecure' ? `DANE does not apply: ${found.why}` : found.kind === 'failed' ? found.reason : 'no service' };
  const seen = new Set<string>();
  const reasons: string[] = [];
  for (const t of found.targets) {
    if (!t.dane || t.dane.tlsa.length === 0 || seen.has(`${t.dane.targetHost}:${t.port}`)) continue;
    seen.add(`${t.dane.targetHost}:${t.port}`);
    const v = verifyWithTlsa(chain, t.dane.tlsa, [domain, t.dane.targetHost], anchors, now);
    if (v.ok) return v;
    reasons.push(`${t.dane.targetHost}:${t.port}: ${v.reason}`);
  }
  return { ok: false, reason: reasons.length > 0 ? reasons.join('; ') : `no TLSA records for ${domain}'s servers` };
}
