import { NS } from '#libs/stanza';
import type { RosterItem } from '#libs/storage';
import { Element, xml } from '#libs/xml';

/**
 * An item only a contact's pending subscription request created (RFC 6121 Appendix A "None + Pending
 * In" before the user did anything): kept for the state machine, not shown in the roster.
 */
export function isHidden(item: RosterItem): boolean {
  return item.subscription === 'none' && item.askIn && !item.askOut && !item.approved && !item.name && item.groups.length === 0;
}

/** RFC 6121 §2.1.2: the <item/> element of a roster result or push. */
export function itemElement(item: RosterItem, removed = false): Element {
  const attrs: Record<string, string> = { jid: item.jid, subscription: removed ? 'remove' : item.subscription };
  if (!removed) {
    if (item.name) attrs.name = item.name;
    if (item.askOut) attrs.ask = 'subscribe';
    if (item.approved) attrs.approved = 'true';
  }
  return xml('item', attrs, removed ? [] : item.groups.map((g) => xml('group', {}, g)));
}

export function rosterQuery(version: number | undefined, items: Element[]): Element {
  return xml('query', version === undefined ? { xmlns: NS.roster } : { xmlns: NS.roster, ver: String(version) }, items);
}

export function emptyItem(jid: string): RosterItem {
  return { jid, subscription: 'none', askOut: false, askIn: false, approved: false, groups: [] };
}
