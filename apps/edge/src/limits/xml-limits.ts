import type { GliderConfig } from '#libs/config';
import type { XmlLimits } from '#libs/xml';

/**
 * The parser limits of a stream (c2s or s2s) from edge.limits: a stanza may be as large as
 * maxStanzaBytes once the peer is authenticated, maxStanzaBytesPreAuth before.
 */
export function streamXmlLimits(l: GliderConfig['edge']['limits'], authenticated: boolean): XmlLimits {
  return {
    maxStanzaBytes: authenticated ? l.maxStanzaBytes : l.maxStanzaBytesPreAuth,
    maxDepth: l.maxDepth,
    maxAttributes: l.maxAttributes,
    maxAttributeBytes: l.maxAttributeBytes,
    maxNameBytes: l.maxNameBytes,
  };
}
