import { answerPubSub } from '#libs/pubsub';
import type { IqAnswer } from '#libs/xmpp-kit';
import type { PresenceContext, PresenceIqRequest } from '../../presence.context.js';

/**
 * XEP-0163 §3–§4: an IQ to a local account's bare JID (or to none: the sender's own) is a request
 * to that account's PEP service, with the sender as the actor (the engine checks who may do what:
 * another user's PEP is readable by access model, never writable).
 */
export async function answerPep(ctx: PresenceContext, type: 'get' | 'set', req: PresenceIqRequest): Promise<IqAnswer> {
  const { stanza, payload } = req;
  const service = (stanza.to ?? stanza.from).bare().toString();
  return answerPubSub(ctx.pep.engine, service, { bare: stanza.from.bare().toString(), full: stanza.from.toString() }, type, payload);
}
