import { decodeAck, encodeFrame, envelopeOf, partitionOf, requestRetrying, subjects, type Bus } from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import { tryParseJid } from '#libs/jid';
import { errorReply, type StanzaErrorCondition } from '#libs/stanza';
import type { Element } from '#libs/xml';

/**
 * A stanza that came in over s2s, or an error we make for a local sender, to the router: in the
 * sender's partition (order per sender, as for clients), without an origin session, so the router
 * takes it in the 'deliver' phase (apps/router core/routing.ts). Resolves true once it was taken.
 */
export async function toRouter(bus: Bus, config: GliderConfig, el: Element): Promise<boolean> {
  const from = tryParseJid(el.attrs.from ?? '');
  if (!from) return false;
  const subject = subjects.routerIn(partitionOf(from.bare().toString(), config.bus.partitions));
  const reply = await requestRetrying(bus, subject, encodeFrame({ stanza: envelopeOf(el) }), { timeoutMs: config.edge.routeTimeoutMs });
  return decodeAck(reply).taken;
}

/**
 * The error a stanza gets when it cannot go out (RFC 6120 §8.3.3.15/16), addressed back to its
 * local sender; none for errors and results (never answer an error, §8.3.1). Presence only when it
 * is directed available presence to a full JID (RFC 6121 §4.6), above all a join of a room in that
 * domain (XEP-0045 §7.2: the client waits for the room's answer, and the issue asks for
 * `remote-server-not-found` at once, never a timeout); broadcasts to contacts' bare JIDs,
 * unavailable, probes and subscriptions bounce nothing (the local presence service learns of a
 * remote contact's state from probes, RFC 6121 §4.3).
 */
export function bounceOf(el: Element, condition: StanzaErrorCondition, text: string): Element | undefined {
  if (el.name === 'presence' && !(el.attrs.type === undefined && tryParseJid(el.attrs.to ?? '')?.resource)) return undefined;
  return errorReply(el, condition, { type: condition === 'remote-server-timeout' || condition === 'resource-constraint' ? 'wait' : 'cancel', text });
}
