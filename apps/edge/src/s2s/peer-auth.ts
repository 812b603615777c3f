import type { X509Certificate } from 'node:crypto';
import { matchServerIdentity, presentedIdentities, verifyChain, type IdentityMatch } from '#libs/federation';

export type PeerVerdict = { ok: true; by: IdentityMatch } | { ok: false; reason: string };

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
