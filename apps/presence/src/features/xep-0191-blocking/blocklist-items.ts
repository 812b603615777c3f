import { parseJid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';

/**
 * The JIDs of a <block/> or <unblock/> (XEP-0191 §3.3, §3.4), normalized (RFC 7622), in request
 * order without repeats. Only <item jid='…'/> children are allowed; a JID that does not parse is
 * <jid-malformed/> (XEP-0191 §3.3 lists it); more items than one request may carry,
 * <policy-violation/>.
 */
export function itemsOf(payload: Element, maxPerRequest: number): string[] | StanzaError {
  const children = payload.elements();
  if (children.length > maxPerRequest) {
    return new StanzaError('policy-violation', { text: `at most ${maxPerRequest} items in one request` });
  }
  const jids: string[] = [];
  for (const child of children) {
    if (child.name !== 'item' || child.xmlns !== NS.blocking) {
      return new StanzaError('bad-request', { text: `unexpected <${child.name}/>` });
    }
    const raw = child.attrs.jid;
    if (raw === undefined) return new StanzaError('bad-request', { text: 'an <item/> without a jid' });
    let normalized: string;
    try {
      normalized = parseJid(raw).toString();
    } catch {
      return new StanzaError('jid-malformed', { text: `not a JID: ${raw.slice(0, 100)}` });
    }
    if (!jids.includes(normalized)) jids.push(normalized);
  }
  return jids;
}

/** `<block/>`, `<unblock/>` or `<blocklist/>` with one item per JID. */
export function itemsElement(name: 'block' | 'unblock' | 'blocklist', jids: readonly string[]): Element {
  return xml(name, { xmlns: NS.blocking }, ...jids.map((jid) => xml('item', { jid })));
}
