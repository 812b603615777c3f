import { escapeAttr, type Element } from '#libs/xml';
import type { StanzaEnvelope, StanzaKind } from './messages.js';

const KINDS: Record<string, StanzaKind> = { message: 'MESSAGE', presence: 'PRESENCE', iq: 'IQ' };

/** The envelope of a stanza: routing fields read from its attributes, beside its serialised bytes. */
export function envelopeOf(el: Element, extra: Partial<StanzaEnvelope> = {}): StanzaEnvelope {
  return {
    from: el.attrs.from ?? '',
    to: el.attrs.to ?? '',
    kind: KINDS[el.name] ?? 'STANZA_KIND_UNSPECIFIED',
    type: el.attrs.type ?? '',
    id: el.attrs.id ?? '',
    xml: Buffer.from(el.toString(), 'utf8'),
    hops: 0,
    ...extra,
  };
}

/**
 * One stanza for many recipients, serialized once without its `to` (bus.proto DeliveryFanout): the
 * shared envelope (`to` empty) and the byte offset where ` to="…"` goes, right after the element name.
 */
export interface SharedStanza {
  env: StanzaEnvelope;
  toAt: number;
}

/** `el` (its `to` removed) as a SharedStanza. */
export function sharedStanzaOf(el: Element): SharedStanza {
  delete el.attrs.to;
  return { env: envelopeOf(el), toAt: Buffer.byteLength(el.name) + 1 };
}

/** The copy of a shared stanza for `to`: its envelope with `to` set and ` to="…"` put into the bytes. */
export function copyFor(shared: SharedStanza, to: string): StanzaEnvelope {
  const xml = shared.env.xml;
  const at = Math.min(shared.toAt, xml.byteLength);
  const attr = ` to="${escapeAttr(to)}"`;
  const len = Buffer.byteLength(attr);
  const bytes = Buffer.allocUnsafe(xml.byteLength + len);
  bytes.set(xml.subarray(0, at), 0);
  bytes.write(attr, at, len, 'utf8');
  bytes.set(xml.subarray(at), at + len);
  return { ...shared.env, to, xml: bytes };
}
