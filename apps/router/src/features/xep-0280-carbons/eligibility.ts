import { NS } from '#libs/stanza';
import { Element, xml } from '#libs/xml';

/**
 * XEP-0280 §6 (the suggested rules, which Glider follows): a message is copied when it is of type
 * chat, or normal (or no type) with a body; never groupchat, headline or error; never when it comes
 * from or goes to a MUC room as a private message (it carries a muc#user <x/>, XEP-0045 §7.5 / §6 of
 * XEP-0280: "even if it would be otherwise eligible"); never a carbon itself (a <received/> or
 * <sent/> inside: no carbons of carbons); never when the sender opted out with XEP-0280 §8
 * <private xmlns='urn:xmpp:carbons:2'/> or the XEP-0334 §4 <no-copy xmlns='urn:xmpp:hints'/> hint.
 */
export function eligibleForCarbons(message: Element): boolean {
  const type = message.attrs.type ?? 'normal';
  if (type === 'chat') {
    // fine
  } else if (type === 'normal') {
    if (!message.getChild('body')) return false;
  } else return false;
  for (const child of message.elements()) {
    const ns = child.attrs.xmlns;
    if (ns === NS.carbons && (child.name === 'private' || child.name === 'received' || child.name === 'sent')) return false;
    if (ns === NS.hints && (child.name === 'no-copy' || child.name === 'private')) return false;
    if (ns === NS.mucUser && child.name === 'x') return false;
  }
  return true;
}

export type CarbonDirection = 'received' | 'sent';

/**
 * XEP-0280 §6/§7: the copy of `original` for the resource `to`, from the user's bare JID, with the
 * original's type, the original inside a XEP-0297 <forwarded/> inside <received/> or <sent/>.
 */
export function carbonCopy(direction: CarbonDirection, original: Element, env: { from: string; to: string }, bare: string, to: string): Element {
  const inner = original.clone();
  inner.attrs.xmlns = NS.client;
  inner.attrs.from = env.from;
  if (env.to) inner.attrs.to = env.to;
  const type = original.attrs.type;
  return xml('message', { from: bare, to, ...(type ? { type } : {}) }, xml(direction, { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward }, inner)));
}
