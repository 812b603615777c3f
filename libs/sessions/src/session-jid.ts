/** Splits an already-normalised full JID at the first '/' (JID normalisation is libs/jid's). */
export function isFullJid(jid: string): boolean {
  const i = jid.indexOf('/');
  return i > 0 && i < jid.length - 1;
}

export function splitFullJid(jid: string): { bare: string; resource: string } {
  const i = jid.indexOf('/');
  if (!isFullJid(jid)) throw new Error(`not a full JID: "${jid}"`);
  return { bare: jid.slice(0, i), resource: jid.slice(i + 1) };
}

export function bareOf(jid: string): string {
  const i = jid.indexOf('/');
  return i < 0 ? jid : jid.slice(0, i);
}
