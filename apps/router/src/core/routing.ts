import { StanzaError } from '#libs/stanza';
import type { RouterContext } from '../router.context.js';
import { dispatchIq } from './iq-boundary.js';
import { messageToBare, messageToFull } from './message-rules.js';
import type { RoutedStanza } from './routed-stanza.js';
import { deliverAcked } from './acked-delivery.js';

/** One routing step: true when it took the stanza (delivered, forwarded, stored or bounced). */
export type RoutingStep = (st: RoutedStanza, ctx: RouterContext, forward: PresenceForwarder) => Promise<boolean>;

/** Hands a stanza to the presence service of the sender's partition and waits for its Ack. */
export type PresenceForwarder = (st: RoutedStanza) => Promise<void>;

const ROSTER_NS = 'jabber:iq:roster';

/** Presence, whatever its address, is the presence service's (RFC 6121 §3, §4; architecture.md). */
const presence: RoutingStep = async (st, _ctx, forward) => {
  if (st.name !== 'presence') return false;
  // An edge sent it back: the session it was for is gone; available/unavailable to a vanished
  // resource is silently ignored (RFC 6121 §8.5.3.2.2), subscription state is in the roster already.
  if (st.hops === 0) await forward(st);
  return true;
};

/** RFC 6120 §10.4: other domains (federation comes later). */
const remoteDomain: RoutingStep = async (st, ctx) => {
  if (ctx.isLocalDomain(st.to.domain)) return false;
  await ctx.bounce(st, new StanzaError('remote-server-not-found'));
  return true;
};

/** RFC 6120 §10.3 / §10.4.1: the server itself. */
const server: RoutingStep = async (st, ctx) => {
  if (st.to.local) return false;
  if (st.name === 'iq') await dispatchIq(st, ctx, true);
  else if (st.name === 'message' && !['error', 'headline', 'groupchat'].includes(st.type)) {
    await ctx.bounce(st, new StanzaError('service-unavailable'));
  }
  return true;
};

/** RFC 6121 §8.5.2.1.3 / §8.5.2.2.3: an IQ to a bare account is answered by the server for it. */
const iqToAccount: RoutingStep = async (st, ctx, forward) => {
  if (st.name !== 'iq' || st.to.resource) return false;
  if (st.type === 'result' || st.type === 'error') return true; // nobody asked: dropped
  const own = st.to.equals(st.from.bare());
  const payload = st.element().elements()[0];
  if (own && payload?.xmlns === ROSTER_NS) {
    await forward(st);
    return true;
  }
  if (!own && !(await ctx.userExists(st.to.toString()))) {
    await ctx.bounce(st, new StanzaError('service-unavailable')); // §8.5.1
    return true;
  }
  await dispatchIq(st, ctx, false);
  return true;
};

/** RFC 6121 §8.5.3: an IQ to a full JID goes to that session or fails. */
const iqToResource: RoutingStep = async (st, ctx) => {
  if (st.name !== 'iq') return false;
  const session = st.hops === 0 ? await ctx.registry.get(st.to.toString()) : undefined;
  if (session) deliverAcked(ctx, st, session); // its edge dead or the session gone: routed again, bounced
  else await ctx.bounce(st, new StanzaError('service-unavailable')); // §8.5.3.2.3 (results and errors: dropped)
  return true;
};

const message: RoutingStep = async (st, ctx) => {
  if (st.name !== 'message') return false;
  if (st.to.resource) await messageToFull(st, ctx);
  else await messageToBare(st, st.to.toString(), ctx);
  return true;
};

/** The routing chain, in order (MongooseIM-style): the first step that takes the stanza ends it. */
export const routingSteps: RoutingStep[] = [presence, remoteDomain, server, iqToAccount, iqToResource, message];
