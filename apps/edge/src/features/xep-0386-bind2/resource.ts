import { createHash, randomBytes } from 'node:crypto';
import { jid } from '#libs/jid';

/**
 * XEP-0386 §identifiers: `<tag>/<id>`. With a user-agent id the id is a digest of the account, the
 * tag and that id, so the same client gets the same resource every time (and a reconnect replaces its
 * old session) while the user-agent id itself is never shown. Without one it is random. A tag that is
 * not a valid resourcepart (or empty) is left out; a long one is cut to `maxTag` characters.
 */
export function bind2Resource(bare: string, tag: string | undefined, userAgentId: string | undefined, maxTag: number): string {
  const id = userAgentId
    ? createHash('sha256')
        .update(`${bare}\0${tag ?? ''}\0${userAgentId}`)
        .digest('base64url')
        .slice(0, 12)
    : randomBytes(9).toString('base64url');
  const clean = [...(tag ?? '').trim()].slice(0, maxTag).join('');
  if (!clean) return id;
  try {
    jid('x', 'example.org', `${clean}/${id}`);
    return `${clean}/${id}`;
  } catch {
    return id;
  }
}
