import { directoryDownError } from '#libs/directory';
import type { SessionInfo } from '#libs/sessions';
import { StanzaError } from '#libs/stanza';
import type { RouterContext } from '../router.context.js';
import { deliverAcked } from './acked-delivery.js';
import type { RoutedStanza } from './routed-stanza.js';

/** RFC 6121 §5.2.2: an unknown message type is handled as "normal". */
export function messageType(st: RoutedStanza): string {
  const t = st.type;
  return t === 'chat' || t === 'groupchat' || t === 'headline' || t === 'error' ? t : 'normal';
}

/** The resources a bare-JID message goes to: the available non-negative ones of highest priority. */
export function mostAvailable(sessions: SessionInfo[]): SessionInfo[] {
  const eligible = sessions.filter((s) => s.available && s.priority >= 0);
  if (eligible.length === 0) return [];
  const top = Math.max(...eligible.map((s) => s.priority));
  return eligible.filter((s) => s.priority === top);
}

/** Gives up redelivering a stanza an edge sent back this many times (architecture.md). */
export const MAX_HOPS = 3;

/** RFC 6121 §8.5.2 (and §8.5.1 for an unknown user): a message to a local bare JID. */
export async function messageToBare(st: RoutedStanza, bare: string, ctx: RouterContext): Promise<void> {
  const type = messageType(st);
  if (type === 'error') return; // §8.5.2.1.1 / §8.5.2.2.1: silently ignored
  const sessions = st.hops >= MAX_HOPS ? [] : (await ctx.registry.ofUser(bare)).filter((s) => st.mayGoTo(s));
  const exists = sessions.length > 0 || (await ctx.userExists(bare));
  if (exists !== true) {
    // §8.5.1: no such user (or their directory cannot say: a wait error, not "nobody there").
    // Headlines expect no reply; everything else learns it failed.
    if (type !== 'headline') await ctx.bounce(st, exists === 'unknown' ? directoryDownError() : new StanzaError('service-unavailable'));
    return;
  }
  if (type === 'groupchat') return ctx.bounce(st, new StanzaError('service-unavailable'));
  if (type === 'headline') {
    // §8.5.2.1.1: every non-negative available resource; none → silently ignored (§8.5.2.2.1).
    return deliver(
      st,
      sessions.filter((s) => s.available && s.priority >= 0),
      ctx,
    );
  }
  const targets = mostAvailable(sessions);
  if (targets.length > 0) return deliver(st, targets, ctx);
  // §8.5.2.2.1 and XEP-0160: normal and chat with no available non-negative resource.
  if ((await ctx.hooks.run('message:offline', { stanza: st, owner: bare })) === 'stop') return;
  await ctx.bounce(st, new StanzaError('service-unavailable'));
}

/** RFC 6121 §8.5.3: a message to a local full JID. */
export async function messageToFull(st: RoutedStanza, ctx: RouterContext): Promise<void> {
  const type = messageType(st);
  // An edge sent it back (hops > 0): the session it was for is gone, whatever the registry says yet.
  const session = st.hops === 0 ? await ctx.registry.get(st.to.toString()) : undefined;
  if (session) return deliver(st, [session], ctx); // §8.5.3.1
  if (type === 'error') return; // §8.5.3.2.1
  // §8.5.3.2.1: chat falls back to the bare JID rules. A stanza an edge could not write to a vanished
  // session (hops > 0) was already accepted: it falls back too, so it is stored or bounced.
  if (type === 'chat' || (st.hops > 0 && type !== 'groupchat')) return messageToBare(st, st.to.bare().toString(), ctx);
  // §8.5.3.2.1: normal and groupchat → <service-unavailable/>; headline → silently ignored.
  if (type !== 'headline') await ctx.bounce(st, new StanzaError('service-unavailable'));
}

async function deliver(st: RoutedStanza, sessions: SessionInfo[], ctx: RouterContext): Promise<void> {
  if (sessions.length === 0) return;
  if (ctx.hooks.has('message:local')) {
    const arg = { stanza: st, sessions };
    const r = ctx.hooks.runNow('message:local', arg);
    if ((typeof r === 'string' ? r : await r) === 'stop') return;
    sessions = arg.sessions;
  }
  // Acknowledged later, without holding up the partition: the sender's Ack waits (acked-delivery.ts).
  for (const s of sessions) deliverAcked(ctx, st, s);
}
