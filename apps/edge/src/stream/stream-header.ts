import { escapeAttr } from '#libs/xml';
import { NS } from '#libs/stanza';
import type { StreamErrorCondition } from './stream-state.js';

export interface HeaderCheck {
  /** The served domain the client asked for, when it is one of ours. */
  domain?: string;
  lang: string;
  error?: StreamErrorCondition;
  text?: string;
}

/**
 * RFC 6120 §4.7 and §4.9.1 checks of an initial stream header (or RFC 7395 <open/>), in the order
 * that gives the client the most useful error. `framed` is the WebSocket form.
 */
export function checkHeader(name: string, attrs: Record<string, string>, domains: string[], framed: boolean): HeaderCheck {
  const lang = /^[A-Za-z0-9-]{1,35}$/.test(attrs['xml:lang'] ?? '') ? attrs['xml:lang']! : 'en';
  const to = (attrs.to ?? '').toLowerCase().replace(/\.$/, '');
  const domain = domains.includes(to) ? to : undefined;
  const out: HeaderCheck = { domain, lang };
  if (framed) {
    if (name !== 'open' || attrs.xmlns !== NS.framing)
      return { ...out, error: 'invalid-namespace', text: 'expected <open/> in urn:ietf:params:xml:ns:xmpp-framing' };
  } else {
    const colon = name.indexOf(':');
    const prefix = colon >= 0 ? name.slice(0, colon) : '';
    const local = colon >= 0 ? name.slice(colon + 1) : name;
    const streamNs = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
    if (local !== 'stream' || streamNs !== NS.stream)
      return { ...out, error: 'invalid-namespace', text: 'the stream element must be qualified by http://etherx.jabber.org/streams' };
    if (prefix && attrs.xmlns !== NS.client) return { ...out, error: 'invalid-namespace', text: 'the content namespace must be jabber:client' };
  }
  const major = /^(\d+)\.\d+$/.exec(attrs.version ?? '')?.[1];
  if (major !== '1') return { ...out, error: 'unsupported-version', text: 'XMPP 1.0 streams only' };
  if (!domain) return { ...out, error: 'host-unknown', text: to ? undefined : "the stream header needs a 'to' address" };
  return out;
}

/** Our response header (RFC 6120 §4.7) or RFC 7395 <open/>. */
export function responseHeader(opts: { id: string; from: string; lang: string; framed: boolean }): string {
  const common = `id='${escapeAttr(opts.id)}' from='${escapeAttr(opts.from)}' version='1.0' xml:lang='${escapeAttr(opts.lang)}'`;
  if (opts.framed) return `<open xmlns='${NS.framing}' ${common}/>`;
  return `<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}' ${common}>`;
}

export function closingTag(framed: boolean): string {
  return framed ? `<close xmlns='${NS.framing}'/>` : '</stream:stream>';
}

export function streamErrorXml(condition: StreamErrorCondition, text: string | undefined, framed: boolean, appSpecific = ''): string {
  const decl = framed ? ` xmlns:stream='${NS.stream}'` : '';
  const body = text ? `<text xmlns='${NS.streams}'>${escapeAttr(text)}</text>` : '';
  // RFC 6120 §4.9.4: an application-specific condition follows the defined one (and the text).
  return `<stream:error${decl}><${condition} xmlns='${NS.streams}'/>${body}${appSpecific}</stream:error>`;
}
