import { BlocklistMatcher } from '#libs/blocking';
import { tryParseJid } from '#libs/jid';
import { xml } from '#libs/xml';
import type { PresenceContext } from '../../presence.context.js';
import { subscribers } from '../rfc6121-presence/contacts.js';

/**
 * XEP-0191 §3.3: blocking a contact who may see the user's presence (a subscriber, or an entity a
 * session sent directed presence to) sends it unavailable presence from each available resource,
 * so the user appears offline. Runs before the block is stored (after it, presence to the contact
 * is filtered). The directed-presence entries for the contact are forgotten.
 */
export async function goUnavailableFor(ctx: PresenceContext, owner: string, blocked: readonly string[]): Promise<void> {
  if (blocked.length === 0) return;
  const matcher = new BlocklistMatcher(blocked);
  const sessions = (await ctx.registry.ofUser(owner)).filter((s) => s.available);
  if (sessions.length === 0) return;
  const contacts = (await subscribers(ctx, owner)).filter((c) => matches(matcher, c));
  for (const s of sessions) {
    const directed = ctx.directed.take(s.jid);
    const targets = new Set(contacts);
    for (const to of directed) {
      if (matches(matcher, to)) targets.add(to);
      else ctx.directed.add(s.jid, to); // kept: not blocked
    }
    for (const to of targets) await ctx.route(xml('presence', { from: s.jid, to, type: 'unavailable' }));
  }
}

/**
 * XEP-0191 §3.4/§3.5: unblocking sends each available resource's current presence to the contacts
 * that are subscribers (directed presence was forgotten at the block). Runs after the change is
 * stored and the caches were told.
 */
export async function showPresenceTo(ctx: PresenceContext, owner: string, unblocked: readonly string[]): Promise<void> {
  if (unblocked.length === 0) return;
  const matcher = new BlocklistMatcher(unblocked);
  const sessions = (await ctx.registry.ofUser(owner)).filter((s) => s.available && s.lastPresence);
  if (sessions.length === 0) return;
  const contacts = (await subscribers(ctx, owner)).filter((c) => matches(matcher, c));
  for (const s of sessions) {
    for (const to of contacts) {
      const el = ctx.parseXml(Buffer.from(s.lastPresence!).toString('utf8'));
      el.attrs.from = s.jid;
      el.attrs.to = to;
      await ctx.route(el);
    }
  }
}

function matches(matcher: BlocklistMatcher, jid: string): boolean {
  const j = tryParseJid(jid);
  return j !== undefined && matcher.blocks(j);
}
