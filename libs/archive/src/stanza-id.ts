import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';

/**
 * XEP-0359 (Unique and Stable Stanza IDs) v0.7: the `<stanza-id/>` an archive stamps on a message
 * it stored, `by` = the archive's JID (a user's bare JID, or a room's).
 */
export function stampStanzaId(message: Element, by: string, id: string): void {
  message.append(xml('stanza-id', { xmlns: NS.stanzaId, by, id }));
}

/**
 * XEP-0359 §5 (Security Considerations): a stanza-id whose `by` is an entity this server stamps for
 * cannot come from anyone else; an archiving entity MUST remove such elements from stanzas it
 * receives, so a client cannot forge an id for another archive. Returns true when one was removed.
 */
export function stripStanzaIds(message: Element, by: string): boolean {
  const forged = message.getChildren('stanza-id', NS.stanzaId).filter((el) => el.attrs.by === by);
  for (const el of forged) message.remove(el);
  return forged.length > 0;
}

/** The stanza-id a given archive stamped on `message`, if any. */
export function stanzaIdBy(message: Element, by: string): string | undefined {
  return message.getChildren('stanza-id', NS.stanzaId).find((el) => el.attrs.by === by)?.attrs.id;
}
