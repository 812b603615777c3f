import { canonicalDomain } from '#libs/federation';
import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';

/**
 * XEP-0220 elements (`<db:result/>`, `<db:verify/>`, namespace jabber:server:dialback), read and
 * written. A peer may use any prefix it declared (XEP-0220 §2: "prefixed with the namespace prefix
 * ... as advertised on the stream header"); the stream parser copies the header's declaration onto
 * the element, so the prefix is checked against the element's own `xmlns:<prefix>`. We write `db:`,
 * declared on our stream headers (s2s-header.ts) only when dialback is on.
 */
export interface DialbackElement {
  kind: 'result' | 'verify';
  /** Canonical domains; '' when absent or not a domain. */
  from: string;
  to: string;
  /** `<db:verify/>` only: the stream id the key was made for. */
  id: string;
  /** Absent on a request; valid / invalid / error on an answer (§2.1, §2.5). */
  type: string | undefined;
  /** The key (character data), trimmed. */
  key: string;
  /** type='error': the stanza error condition inside (§2.5). */
  condition: string | undefined;
}

export function readDialback(el: Element): DialbackElement | undefined {
  const colon = el.name.indexOf(':');
  const prefix = colon < 0 ? '' : el.name.slice(0, colon);
  const local = colon < 0 ? el.name : el.name.slice(colon + 1);
  if (local !== 'result' && local !== 'verify') return undefined;
  const ns = prefix ? el.attrs[`xmlns:${prefix}`] : el.attrs.xmlns;
  if (ns !== NS.dialback) return undefined;
  const error = el.getChild('error');
  return {
    kind: local,
    from: canonicalDomain(el.attrs.from ?? '') ?? '',
    to: canonicalDomain(el.attrs.to ?? '') ?? '',
    id: el.attrs.id ?? '',
    type: el.attrs.type,
    key: el.text().trim(),
    condition: error?.elements().find((c) => c.attrs.xmlns === NS.stanzas)?.name,
  };
}

/**
 * Dialback error conditions (XEP-0220 §2.5): stanza error conditions carried in a `type='error'`
 * answer, non-fatal for the stream (other domain pairs on it go on).
 */
export type DialbackErrorCondition =
  | 'item-not-found'
  | 'remote-connection-failed'
  | 'remote-server-not-found'
  | 'remote-server-timeout'
  | 'policy-violation'
  | 'not-authorized'
  | 'forbidden'
  | 'not-acceptable';

/** What the Authoritative Server said of a key (or why it could not be asked). */
export type VerifyOutcome = 'valid' | 'invalid' | { error: DialbackErrorCondition; text: string };

interface Answer {
  from: string;
  to: string;
  id?: string;
  type: 'valid' | 'invalid' | 'error';
  condition?: DialbackErrorCondition;
  text?: string;
}

/** A request: `<db:result/>` carries the key (Step 1), `<db:verify/>` the key and stream id (Step 2). */
export function dialbackRequest(kind: 'result' | 'verify', from: string, to: string, key: string, id?: string): Element {
  return xml(`db:${kind}`, id === undefined ? { from, to } : { from, to, id }, key);
}

/** An answer (Step 3 or 4): `type` valid / invalid, or error with its condition (§2.5). */
export function dialbackAnswer(kind: 'result' | 'verify', a: Answer): Element {
  const attrs: Record<string, string> = { from: a.from, to: a.to, type: a.type };
  if (a.id !== undefined) attrs.id = a.id;
  const el = xml(`db:${kind}`, attrs);
  if (a.type === 'error') {
    const error = xml(
      'error',
      { type: a.condition === 'remote-server-timeout' ? 'wait' : 'cancel' },
      xml(a.condition ?? 'undefined-condition', { xmlns: NS.stanzas }),
    );
    if (a.text) error.append(xml('text', { xmlns: NS.stanzas }, a.text));
    el.append(error);
  }
  return el;
}

/** The stream feature for dialback with error handling (XEP-0220 §2.4.2), offered only when dialback is on. */
export function dialbackFeature(): Element {
  return xml('dialback', { xmlns: NS.dialbackFeature }, xml('errors'));
}

/** The peer supports dialback: its header declares the namespace (§2.4.1) or its features carry the feature (§2.4.2). */
export function peerOffersDialback(headerAttrs: Record<string, string>, features: Element | undefined): boolean {
  if (features?.getChild('dialback', NS.dialbackFeature)) return true;
  return Object.entries(headerAttrs).some(([k, v]) => k.startsWith('xmlns:') && v === NS.dialback);
}
