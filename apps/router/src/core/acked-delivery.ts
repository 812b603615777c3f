import type { DeliveryOutcome, StanzaEnvelope } from '#libs/bus';
import { holdForResumable, type SessionInfo } from '#libs/sessions';
import type { Element } from '#libs/xml';
import type { RouterContext } from '../router.context.js';
import type { RoutedStanza } from './routed-stanza.js';

/** Routes a stanza once more, avoiding the sessions that failed to take it; the new RoutedStanza. */
export type Reroute = (env: StanzaEnvelope, failed: ReadonlySet<string>) => Promise<RoutedStanza | undefined>;

/**
 * Hands `st` to `session`'s edge and keeps the acknowledgement on the stanza: the router owns the
 * stanza until the edge says it handed it to the connection (docs/reliability.md).
 */
export function deliverAcked(ctx: RouterContext, st: RoutedStanza, session: SessionInfo): void {
  st.deliveries.push({ session, outcome: ctx.delivery.toSession(st.env, session) });
}

/**
 * Hands a copy made from `st` (a carbon, XEP-0280) to `session`'s edge. Not the stanza itself: when
 * the edge does not take it, it is dropped with a debug log (XEP-0280 has no fallback for copies).
 */
export function deliverCopy(ctx: RouterContext, st: RoutedStanza, copy: Element, session: SessionInfo): void {
  const outcome = ctx.delivery.element(copy, session);
  st.copies.push(
    outcome.then((o) => {
      if (!o.ok) ctx.logger.debug({ to: session.jid, stanzaId: st.env.id, reason: o.reason }, 'copy not taken; dropped');
      return o;
    }),
  );
}

/**
 * Waits for the deliveries of `st`. When every one failed — the edge is gone (no responders),
 * refused (the session is gone, its stream closing), or did not answer in bus.deliveryAckTimeoutMs —
 * the stanza is routed again as to a vanished resource (RFC 6121 §8.5.3.2 with `hops` + 1, skipping
 * the sessions that failed): another resource, offline storage, or an error to the sender. One
 * delivery that succeeded is enough for a stanza that went to several resources (RFC 6121 §8.5.2.1.1:
 * any of them may answer); the others are not redone, so nobody gets it twice.
 */
export function settleDeliveries(ctx: RouterContext, st: RoutedStanza, reroute: Reroute): Promise<void> {
  const [only] = st.deliveries;
  // The common case, one delivery taken: one promise, nothing else allocated.
  if (st.deliveries.length === 1 && only)
    return only.outcome.then((o) => (o.ok ? undefined : rerouteAfter(ctx, st, [{ session: only.session, outcome: o }], reroute)));
  return settleAll(ctx, st, reroute);
}

async function settleAll(ctx: RouterContext, st: RoutedStanza, reroute: Reroute): Promise<void> {
  if (st.deliveries.length === 0) return;
  const outcomes = await Promise.all(st.deliveries.map(async (d) => ({ session: d.session, outcome: await d.outcome })));
  if (outcomes.some((o) => o.outcome.ok)) return;
  await rerouteAfter(ctx, st, outcomes, reroute);
}

async function rerouteAfter(
  ctx: RouterContext,
  st: RoutedStanza,
  outcomes: { session: SessionInfo; outcome: DeliveryOutcome }[],
  reroute: Reroute,
): Promise<void> {
  const failed = new Set(st.failed);
  for (const { session, outcome } of outcomes) {
    logFailure(ctx, st, session, outcome);
    // XEP-0198: a resumable session whose connection is gone (or whose edge died) holds the stanza
    // for its resume; one resumed on another edge meanwhile is routed to again, not skipped.
    const taken = await heldForResume(ctx, st, session);
    if (taken === 'held' && st.name === 'message' && ctx.hooks.has('message:waiting')) {
      await ctx.hooks.run('message:waiting', { stanza: st, owner: bareOf(session.jid), where: 'held' });
    }
    if (taken) return;
    failed.add(session.sessionId);
  }
  ctx.stats.rerouted++;
  const next = await reroute({ ...st.env, hops: st.hops + 1 }, failed);
  if (next) await settleDeliveries(ctx, next, reroute);
}

function logFailure(ctx: RouterContext, st: RoutedStanza, session: SessionInfo, outcome: DeliveryOutcome): void {
  if (outcome.ok) return;
  const fields = { to: st.env.to, stanzaId: st.env.id, kind: st.env.kind, edgeId: session.edgeId, reason: outcome.reason, detail: outcome.detail };
  // A dead or stalled edge fails every stanza routed to it until the sweep: debug, not a flood.
  ctx.logger.debug(fields, 'delivery not acknowledged; routing the stanza again');
}

/** Attempts to follow a session that moves between edges while a stanza chases it. */
const FOLLOW_MOVES = 3;

const bareOf = (jid: string) => {
  const slash = jid.indexOf('/');
  return slash < 0 ? jid : jid.slice(0, slash);
};

/**
 * Whether the session took the stanza after all: `held` in its queue, or `moved`: delivered to the
 * edge it was resumed on meanwhile (the resumable record names it before any registry cache does).
 */
async function heldForResume(ctx: RouterContext, st: RoutedStanza, session: SessionInfo): Promise<'held' | 'moved' | undefined> {
  let edgeId = session.edgeId;
  try {
    for (let i = 0; i < FOLLOW_MOVES; i++) {
      const hold = await holdForResumable(ctx.resumable, st.env, session.sessionId, edgeId);
      if (hold.kind !== 'moved') return hold.kind === 'held' ? 'held' : undefined;
      edgeId = hold.edgeId;
      if ((await ctx.delivery.toSession(st.env, { edgeId, sessionId: session.sessionId })).ok) return 'moved';
    }
  } catch (err) {
    ctx.logger.warn({ err: (err as Error).message, to: st.env.to }, 'could not hold a stanza for a resumable session; routing it again');
  }
  return undefined;
}
