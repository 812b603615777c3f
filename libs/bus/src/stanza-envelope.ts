import type { Element } from '#libs/xml';
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
