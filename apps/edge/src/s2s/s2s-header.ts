import { canonicalDomain } from '#libs/federation';
import { NS } from '#libs/stanza';
import { escapeAttr } from '#libs/xml';
import type { StreamErrorCondition } from '../stream/stream-state.js';

export interface S2sHeaderCheck {
  /** Our domain the peer addressed (`to`). */
  local?: string;
  /** The peer's domain (`from`), canonical. */
  remote?: string;
  id?: string;
  error?: StreamErrorCondition;
  text?: string;
}

/**
 * RFC 6120 §4.7 / §4.9.1 for a server-to-server stream header: the streams namespace, content
 * namespace `jabber:server`, version 1.0, `to` one of our domains, and `from` the peer's domain
 * (RFC 6120 §4.7.1: an initiating server includes it; we need it for the policy and SASL EXTERNAL).
 * `expectTo`: when we initiated, the receiving server's header must come from the domain we asked for.
 */
export function checkS2sHeader(name: string, attrs: Record<string, string>, localDomains: string[], expect?: { remote: string }): S2sHeaderCheck {
  const colon = name.indexOf(':');
  const prefix = colon >= 0 ? name.slice(0, colon) : '';
  const local = colon >= 0 ? name.slice(colon + 1) : name;
  const streamNs = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
  if (local !== 'stream' || streamNs !== NS.stream)
    return { error: 'invalid-namespace', text: 'the stream element must be qualified by http://etherx.jabber.org/streams' };
  if (attrs.xmlns !== NS.server) return { error: 'invalid-namespace', text: 'the content namespace of a server-to-server stream is jabber:server' };
  if (/^(\d+)\.\d+$/.exec(attrs.version ?? '')?.[1] !== '1') return { error: 'unsupported-version', text: 'XMPP 1.0 streams only' };
  const to = canonicalDomain(attrs.to ?? '');
  const from = canonicalDomain(attrs.from ?? '');
  if (expect) {
    // our own outbound stream: the receiving server answers from the domain we addressed
    if (from !== expect.remote) return { error: 'invalid-from', text: `expected a stream from ${expect.remote}` };
    return { local: to, remote: from, id: attrs.id };
  }
  if (!to || !localDomains.includes(to)) return { error: 'host-unknown', text: to ? `${to} is not served here` : "the stream header needs a 'to' domain" };
  if (!from) return { local: to, error: 'invalid-from', text: "a server-to-server stream header needs a 'from' domain" };
  return { local: to, remote: from, id: attrs.id };
}

/**
 * Our stream header on an s2s stream, as receiving (`id` set) or initiating server. `dialback`:
 * declare xmlns:db, which peers read as dialback support (XEP-0220 §2.4.1), only when it is on.
 */
export function s2sHeader(opts: { from: string; to: string; id?: string; dialback?: boolean }): string {
  const id = opts.id === undefined ? '' : ` id='${escapeAttr(opts.id)}'`;
  const db = opts.dialback ? ` xmlns:db='${NS.dialback}'` : '';
  return (
    `<?xml version='1.0'?><stream:stream xmlns='${NS.server}' xmlns:stream='${NS.stream}'${db}` +
    ` from='${escapeAttr(opts.from)}' to='${escapeAttr(opts.to)}'${id} version='1.0'>`
  );
}
