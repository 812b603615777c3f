import type { DeliveryOutcome, StanzaEnvelope } from '#libs/bus';
import type { SessionInfo } from '#libs/sessions';
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
 * Waits for the deliveries of `st`. When every one failed — the edge is gone (no responders),
 * refused (the session is gone, its stream closing), or did not answer in bus.deliveryAckTimeoutMs —
 * the stanza is routed again as to a vanished resource (RFC 6121 §8.5.3.2 with `hops` + 1, skipping
 * the sessions that failed): another resource, offline storage, or an error to the sender. One
 * delivery that succeeded is enough for a stanza that went to several resources (RFC 6121 §8.5.2.1.1:
 * any of them may answer); the others are not redone, so nobody gets it twice.
 */
export async function settleDeliveries(ctx: RouterContext, st: RoutedStanza, reroute: Reroute): Promise<void> {
  let current: RoutedStanza | undefined = st;
  while (current && current.deliveries.length > 0) {
    const outcomes = await Promise.all(current.deliveries.map(async (d) => ({ session: d.session, outcome: await d.outcome })));
    if (outcomes.some((o) => o.outcome.ok)) return;
    const failed = new Set(current.failed);
    for (const { session, outcome } of outcomes) {
      failed.add(session.sessionId);
      logFailure(ctx, current, session, outcome);
    }
    ctx.stats.rerouted++;
    current = await reroute({ ...current.env, hops: current.hops + 1 }, failed);
  }
}

function logFailure(ctx: RouterContext, st: RoutedStanza, session: SessionInfo, outcome: DeliveryOutcome): void {
  if (outcome.ok) return;
  const fields = { to: st.env.to, stanzaId: st.env.id, kind: st.env.kind, edgeId: session.edgeId, reason: outcome.reason, detail: outcome.detail };
  // A dead or stalled edge fails every stanza routed to it until the sweep: debug, not a flood.
  ctx.logger.debug(fields, 'delivery not acknowledged; routing the stanza again');
}
