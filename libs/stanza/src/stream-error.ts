import { type Element, xml } from '#libs/xml';
import { NS } from './namespaces.js';

/** RFC 6120 §4.9.3 defined stream error conditions. */
export type StreamErrorCondition =
  | 'bad-format'
  | 'bad-namespace-prefix'
  | 'conflict'
  | 'connection-timeout'
  | 'host-gone'
  | 'host-unknown'
  | 'improper-addressing'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'remote-connection-failed'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-feature'
  | 'unsupported-stanza-type'
  | 'unsupported-version';

/**
 * <stream:error/> (RFC 6120 §4.9). The `stream` prefix is the one the stream header declared; on a
 * WebSocket (RFC 7395 §3.6) the edge adds xmlns:stream itself. For see-other-host, `host` is the
 * condition's content (§4.9.3.19).
 */
export function streamError(condition: StreamErrorCondition, text?: string, host?: string): Element {
  const cond = xml(condition, { xmlns: NS.streams });
  if (host !== undefined && condition === 'see-other-host') cond.t(host);
  const error = xml('stream:error', {}, cond);
  if (text !== undefined) error.append(xml('text', { xmlns: NS.streams }, text));
  return error;
}
