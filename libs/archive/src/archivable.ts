import { NS } from '#libs/stanza';
import type { Element } from '#libs/xml';

/** Payloads archived without a body (XEP-0313 v1.1 §5.1.1: encrypted payloads, retractions). */
const WITHOUT_BODY: readonly (readonly [string, string])[] = [
  ['encrypted', 'eu.siacs.conversations.axolotl'], // XEP-0384 OMEMO (legacy namespace)
  ['encrypted', 'urn:xmpp:omemo:2'], // XEP-0384 OMEMO 0.8+
  ['openpgp', 'urn:xmpp:openpgp:0'], // XEP-0373 OX
  ['x', 'jabber:x:encrypted'], // XEP-0027
  ['encryption', 'urn:xmpp:eme:0'], // XEP-0380 marks any end-to-end payload
  ['retract', 'urn:xmpp:message-retract:1'], // XEP-0424
  ['apply-to', 'urn:xmpp:fasten:0'], // XEP-0422 (XEP-0424 v0.3 retractions)
  ['moderated', 'urn:xmpp:message-moderate:1'], // XEP-0425 (room archives)
];

/**
 * Whether a message belongs in an archive (XEP-0313 v1.1 §5.1.1, XEP-0334 hints): messages with a
 * `<body/>`, an encrypted payload or a retraction; never chat states or receipts alone, never
 * type error or headline; `<no-store/>` / `<no-permanent-store/>` keep it out and `<store/>` puts
 * a message in that would not be otherwise. `types` are the message types this archive keeps
 * (a user archive: chat and normal; a room archive: groupchat).
 */
export function isArchivable(message: Element, types: readonly string[]): boolean {
  const type = message.attrs.type ?? 'normal';
  if (!types.includes(type)) return false;
  if (message.getChild('no-store', NS.hints) || message.getChild('no-permanent-store', NS.hints)) return false;
  if (message.getChild('store', NS.hints)) return true;
  if (message.getChild('body')) return true; // the stanza's own namespace (jabber:client)
  return WITHOUT_BODY.some(([name, ns]) => message.getChild(name, ns) !== undefined);
}
