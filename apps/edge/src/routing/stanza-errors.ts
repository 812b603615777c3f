import { xml, type Element } from '#libs/xml';
import { NS } from '../stream/namespaces.js';

export type ErrorType = 'auth' | 'cancel' | 'continue' | 'modify' | 'wait';

/**
 * The error reply to a client's stanza (RFC 6120 §8.3.1), or undefined when none may be sent:
 * never an error in answer to an error or an IQ result.
 */
export function errorReplyTo(stanza: Element, condition: string, type: ErrorType, opts: { from?: string; to?: string; text?: string } = {}): Element | undefined {
  const t = stanza.attrs.type;
  if (t === 'error' || (stanza.name === 'iq' && t === 'result')) return undefined;
  const attrs: Record<string, string> = { type: 'error' };
  const from = opts.from ?? stanza.attrs.to;
  const to = opts.to ?? stanza.attrs.from;
  if (from) attrs.from = from;
  if (to) attrs.to = to;
  if (stanza.attrs.id !== undefined) attrs.id = stanza.attrs.id;
  const error = xml('error', { type }, xml(condition, { xmlns: NS.stanzas }));
  if (opts.text) error.append(xml('text', { xmlns: NS.stanzas }, opts.text));
  return xml(stanza.name, attrs, error);
}

export function iqResult(iq: Element, ...children: Element[]): Element {
  const attrs: Record<string, string> = { type: 'result' };
  if (iq.attrs.id !== undefined) attrs.id = iq.attrs.id;
  return xml('iq', attrs, ...children);
}
