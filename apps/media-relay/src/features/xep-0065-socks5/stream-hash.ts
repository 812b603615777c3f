import { createHash } from 'node:crypto';

/**
 * XEP-0065 §5.3.2: DST.ADDR = SHA1(SID + Requester JID + Target JID), hex-encoded (RFC 3174), with
 * the JIDs as used in the IQ exchange and already in canonical form (the caller passes them
 * through libs/jid; the Requester's is the `from` the edge stamped).
 */
export function streamHash(sid: string, requester: string, target: string): string {
  return createHash('sha1').update(sid, 'utf8').update(requester, 'utf8').update(target, 'utf8').digest('hex');
}
