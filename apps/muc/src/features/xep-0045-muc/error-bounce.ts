import { NS } from '#libs/stanza';
import type { Element } from '#libs/xml';

/**
 * Errors that say an occupant cannot be reached (XEP-0045 §15.6, status 333: "a user was removed
 * because of an error reply, for example when an s2s link fails between the MUC and the removed
 * user's server"): its server bounced what the room sent it (`remote-server-not-found` from a
 * federation link that failed, `service-unavailable` for a session that is gone, RFC 6120 §8.3.3).
 * The same list as Prosody's mod_muc (util.lib.lua `kickable_error_conditions`, muc.lib.lua
 * `handle_kickable`), so a federated occupant is taken out alike on both sides.
 */
const UNREACHABLE = new Set([
  'gone',
  'internal-server-error',
  'item-not-found',
  'jid-malformed',
  'recipient-unavailable',
  'redirect',
  'remote-server-not-found',
  'remote-server-timeout',
  'service-unavailable',
]);

/**
 * Whether an error message from an occupant's real JID takes that session out of the room (333).
 * A message error only when its condition is one of the above, or it names none (malformed): a
 * client refusing one message (`not-acceptable`, `policy-violation`) stays. A presence error always
 * does (Prosody alike): the occupant's side refused the room's presence.
 */
export function errorRemovesOccupant(el: Element): boolean {
  if (el.name === 'presence') return true;
  const condition = el
    .getChild('error')
    ?.elements()
    .find((c) => c.attrs.xmlns === NS.stanzas)?.name;
  return condition === undefined || UNREACHABLE.has(condition);
}
