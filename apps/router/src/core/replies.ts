import { Element } from '#libs/xml';
import type { ProtocolError } from './protocol-error.js';

const STANZAS_NS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** RFC 6120 §8.2.3: an IQ result to `iq`, from `from`, carrying `payload`. */
export function iqResultOf(iq: Element, from: string | undefined, payload: Element[]): Element {
  const attrs: Record<string, string> = { type: 'result', id: iq.attrs.id ?? '' };
  if (from) attrs.from = from;
  if (iq.attrs.from) attrs.to = iq.attrs.from;
  return new Element('iq', attrs, payload);
}

/**
 * RFC 6120 §8.3: the error reply to a stanza, or undefined when one must not answer (an error is
 * never answered, nor an IQ result).
 */
export function errorReplyOf(stanza: Element, err: ProtocolError, from?: string): Element | undefined {
  const type = stanza.attrs.type;
  if (type === 'error' || (stanza.name === 'iq' && type === 'result')) return undefined;
  const attrs: Record<string, string> = { type: 'error' };
  const replyFrom = from ?? stanza.attrs.to;
  if (replyFrom) attrs.from = replyFrom;
  if (stanza.attrs.from) attrs.to = stanza.attrs.from;
  if (stanza.attrs.id) attrs.id = stanza.attrs.id;
  // Messages and presence keep their payload so the sender can tell which one failed (§8.3.1).
  const children = stanza.name === 'iq' ? [] : stanza.children.map((c) => (typeof c === 'string' ? c : c.clone()));
  const error = new Element('error', { type: err.type }, [new Element(err.condition, { xmlns: STANZAS_NS })]);
  if (err.text) error.append(new Element('text', { xmlns: STANZAS_NS }, [err.text]));
  return new Element(stanza.name, attrs, [...children, error]);
}
