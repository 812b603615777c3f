/**
 * RFC 6121 §4.6: entities a session sent directed available presence to, so that they learn when
 * it goes unavailable. Kept in the memory of the presence instance owning the user's partition: a
 * failover forgets it (those entities then miss one unavailable).
 */
export class DirectedPresence {
  private readonly sent = new Map<string, Set<string>>();

  add(fullJid: string, to: string): void {
    const set = this.sent.get(fullJid) ?? new Set<string>();
    set.add(to);
    this.sent.set(fullJid, set);
  }

  remove(fullJid: string, to: string): void {
    this.sent.get(fullJid)?.delete(to);
  }

  /** The entities `fullJid` sent directed presence to, forgetting them. */
  take(fullJid: string): string[] {
    const set = this.sent.get(fullJid);
    this.sent.delete(fullJid);
    return set ? [...set] : [];
  }
}
