import type { Element } from '#libs/xml';
import { NS } from './namespaces.js';

export type StanzaKind = 'message' | 'presence' | 'iq';

const STANZA_NS = new Set<string>([NS.client, NS.server, NS.component]);

/**
 * The kind of a top-level element, or undefined for a nonza (<r/>, <starttls/>...). An element
 * without its own xmlns is taken to be in the stream's default namespace.
 */
export function stanzaKind(el: Element): StanzaKind | undefined {
  const name = el.name;
  if (name !== 'message' && name !== 'presence' && name !== 'iq') return undefined;
  const ns = el.xmlns;
  return ns === undefined || STANZA_NS.has(ns) ? name : undefined;
}
