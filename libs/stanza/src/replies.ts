import { Element } from '#libs/xml';
import { stanzaError, StanzaError, type StanzaErrorCondition, type StanzaErrorOptions } from './stanza-error.js';

/** A reply skeleton: same name and id, to/from swapped, the stanza's own xmlns kept if it had one. */
function replyTo(stanza: Element, type: string): Element {
  const reply = new Element(stanza.name);
  const a = stanza.attrs;
  if (a.xmlns !== undefined) reply.attrs.xmlns = a.xmlns;
  if (a.from !== undefined) reply.attrs.to = a.from;
  if (a.to !== undefined) reply.attrs.from = a.to;
  if (a.id !== undefined) reply.attrs.id = a.id;
  reply.attrs.type = type;
  return reply;
}

/**
 * The error reply to a stanza (RFC 6120 §8.3.1), or undefined when none may be sent: never answer
 * an error (§8.3.1 rule 3 for all kinds) or an IQ result. A message's payload goes back with the
 * error so the sender can tell which one failed; an IQ's does not.
 */
export function errorReply(stanza: Element, condition: StanzaErrorCondition | StanzaError, opts?: StanzaErrorOptions): Element | undefined {
  const type = stanza.attrs.type;
  if (type === 'error') return undefined;
  if (stanza.name === 'iq' && type === 'result') return undefined;
  const reply = replyTo(stanza, 'error');
  if (stanza.name === 'message') for (const child of stanza.children) reply.append(typeof child === 'string' ? child : child.clone());
  else if (typeof condition !== 'string' && condition.echo) reply.append(condition.echo);
  reply.append(typeof condition === 'string' ? stanzaError(condition, opts) : condition.toElement());
  return reply;
}

/** The result of an IQ get or set (RFC 6120 §8.2.3), with an optional payload. */
export function iqResult(iq: Element, payload?: Element): Element {
  const reply = replyTo(iq, 'result');
  if (payload !== undefined) reply.append(payload);
  return reply;
}
