import type { Element } from '#libs/xml';

/** Payloads that mean "a message for the user" without a body (end-to-end encrypted, a call). */
const WAKING_PAYLOADS: readonly (readonly [string, string])[] = [
  ['encrypted', 'eu.siacs.conversations.axolotl'], // XEP-0384 OMEMO (legacy namespace, Conversations)
  ['encrypted', 'urn:xmpp:omemo:2'], // XEP-0384 OMEMO 0.8+
  ['openpgp', 'urn:xmpp:openpgp:0'], // XEP-0373 OX
  ['x', 'jabber:x:encrypted'], // XEP-0027
  ['propose', 'urn:xmpp:jingle-message:0'], // XEP-0353: a call is ringing
  ['propose', 'urn:xmpp:jingle-message:1'],
];

/**
 * Whether a message warrants a push notification (XEP-0357 §7 leaves "an event warranting a push
 * notification" to the server). Glider's choice, as Prosody's mod_cloud_notify and what
 * Conversations' and Monal's app servers expect (they only wake the app, which then fetches): a
 * message with a body, an end-to-end encrypted payload, or a call proposal. Chat states, receipts,
 * markers and errors alone would wake the phone for nothing; headlines are not for later.
 */
export function worthPushing(message: Element): boolean {
  const type = message.attrs.type ?? 'normal';
  if (type === 'error' || type === 'headline') return false;
  if (message.getChild('body')) return true;
  return WAKING_PAYLOADS.some(([name, ns]) => message.getChild(name, ns) !== undefined);
}
