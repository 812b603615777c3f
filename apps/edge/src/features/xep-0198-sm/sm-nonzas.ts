import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { toWire } from './sm-counter.js';

/** XEP-0198 v3's namespace. */
export const NS_SM = 'urn:xmpp:sm:3';

/** XEP-0198 §6 error conditions we answer with (RFC 6120 stanza error names). */
export type SmFailure = 'unexpected-request' | 'item-not-found' | 'bad-request' | 'feature-not-implemented' | 'undefined-condition' | 'internal-server-error';

/** `<failed/>` (XEP-0198 §3, §5, §6), with `h` when the server knows how many stanzas it handled. */
export function failed(condition: SmFailure, opts: { h?: number; text?: string; tooHigh?: { h: number; sent: number } } = {}): Element {
  const el = xml('failed', { xmlns: NS_SM }, xml(condition, { xmlns: NS.stanzas }));
  if (opts.h !== undefined) el.attrs.h = String(toWire(opts.h));
  if (opts.tooHigh) el.append(handledCountTooHigh(opts.tooHigh.h, opts.tooHigh.sent));
  if (opts.text) el.append(xml('text', { xmlns: NS.stanzas }, opts.text));
  return el;
}

/** XEP-0198 §4: the peer acknowledged more than was sent. */
export function handledCountTooHigh(h: number, sent: number): Element {
  return xml('handled-count-too-high', { xmlns: NS_SM, h: String(h), 'send-count': String(toWire(sent)) });
}

export function ackElement(h: number): Element {
  return xml('a', { xmlns: NS_SM, h: String(toWire(h)) });
}

export function requestElement(): Element {
  return xml('r', { xmlns: NS_SM });
}
