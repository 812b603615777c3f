/**
 * Bounds the parser enforces while bytes stream in (RFC 6120 §13.12). The edge takes them from
 * config (`edge.limits`), tighter before authentication, and raises them with `setLimits`.
 */
export interface XmlLimits {
  /** Source bytes of one top-level element (a stanza, a nonza, the stream header). */
  maxStanzaBytes: number;
  /** Nesting depth of a top-level element: the stanza itself is depth 1. */
  maxDepth: number;
  /** Attributes on one element, xmlns declarations included. */
  maxAttributes: number;
  /** UTF-8 bytes of one attribute value (as written, before entity decoding). */
  maxAttributeBytes: number;
  /** UTF-8 bytes of one element or attribute name. */
  maxNameBytes: number;
}

/**
 * Limits for re-parsing an element that already passed `limits` and was re-serialised with
 * toString() (a stanza off the bus): escaping can make it up to 6 times its source ('"' becomes
 * '&quot;'), so the byte limits grow by that factor; depth, counts and names do not change.
 */
export function reparseLimits(limits: XmlLimits): XmlLimits {
  return { ...limits, maxStanzaBytes: limits.maxStanzaBytes * 6, maxAttributeBytes: limits.maxAttributeBytes * 6 };
}
