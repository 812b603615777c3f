import type { Address, AddressQuery } from '#libs/addressing';
import { StanzaError } from '#libs/stanza';
import type { RouterContext } from '../router.context.js';
import { dispatchIq } from './iq-boundary.js';
import { messageToBare, messageToFull } from './message-rules.js';
import type { RoutedStanza } from './routed-stanza.js';
import { deliverAcked } from './acked-delivery.js';

/**
 * Where a stanza for another service goes (core/service-lanes.ts): `forward` hands it on behind its
 * sender's earlier forwards (the service's Ack is awaited in `st.forwarded`, not here); `idle`
 * is what anything else done for that sender waits for first, undefined when nothing is out.
 */
export interface ServiceExit {
  forward(st: RoutedStanza, to: Extract<Address, { kind: 'service' }>): void;
  idle(sender: string): Promise<void> | undefined;
}

/** The question the addressing table answers for a stanza the router received. */
export function addressQuery(st: RoutedStanza): AddressQuery {
  const payloads = st.name === 'iq' ? st.element().elements() : [];
  return {
    kind: st.name!,
    type: st.type,
    from: st.from,
    to: st.to,
    ...(payloads.length === 1 ? { ns: payloads[0]!.xmlns ?? '' } : {}),
    // From a client session: its own side (presence) runs first. Otherwise it is on its way in.
    phase: st.env.origin ? 'sent' : 'deliver',
  };
}

/**
 * One routing decision (RFC 6120 §10, RFC 6121 §8): the addressing table says where; the router
 * only carries it out. The delivery calls are awaited: the step completes once it is handed on.
 * A sender's stanzas to services are pipelined (`exit`); whatever else is done for the sender waits
 * until those before it were taken, so nothing of one sender overtakes (RFC 6120 §10.1).
 */
export async function route(st: RoutedStanza, ctx: RouterContext, exit: ServiceExit): Promise<void> {
  // An edge sent it back: the session it was for is gone. Available/unavailable to a vanished
  // resource is silently ignored (RFC 6121 §8.5.3.2.2); subscription state is in the roster already.
  if (st.name === 'presence' && st.hops > 0) return;
  if (!st.name) return void ctx.logger.warn({ stanzaId: st.env.id, kind: st.env.kind }, 'stanza of a kind this version does not know dropped');
  // runNow: no promise (and no microtask turn) to wait for when every handler answered at once
  if (st.name !== 'presence' && st.hops === 0 && ctx.hooks.has('stanza:routing')) {
    const r = ctx.hooks.runNow('stanza:routing', { stanza: st });
    if ((typeof r === 'string' ? r : await r) === 'stop') return;
  }
  if (st.name === 'message' && st.env.origin && st.hops === 0 && ctx.hooks.has('message:sent')) {
    const r = ctx.hooks.runNow('message:sent', { stanza: st });
    if (typeof r !== 'string') await r;
  }
  const to = ctx.addressing.resolve(addressQuery(st));
  if (to.kind === 'service' && to.service !== ctx.serviceName) return exit.forward(st, to);
  const earlier = exit.idle(st.env.from);
  if (earlier) await earlier;
  switch (to.kind) {
    case 'drop':
      ctx.logger.debug({ stanzaId: st.env.id, why: to.why }, 'stanza dropped');
      return;
    case 'bounce':
      return ctx.bounce(st, new StanzaError(to.condition, { text: to.text }));
    case 'service':
      return dispatchIq(st, ctx, to.claim === 'server-iq' ? 'server' : 'account');
    case 'account':
      return toAccount(st, ctx);
  }
}

/** RFC 6121 §8.5: messages (bare or full JID) and IQs to a full JID of a local account. */
async function toAccount(st: RoutedStanza, ctx: RouterContext): Promise<void> {
  if (st.name === 'message') return st.to.resource ? messageToFull(st, ctx) : messageToBare(st, st.to.toString(), ctx);
  // §8.5.3: an IQ to a full JID goes to that session or fails (results and errors: dropped).
  const session = st.hops === 0 ? await ctx.registry.get(st.to.toString()) : undefined;
  if (session)
    deliverAcked(ctx, st, session); // edge dead, session gone: routed again, so bounced
  else await ctx.bounce(st, new StanzaError('service-unavailable')); // §8.5.3.2.3
}
