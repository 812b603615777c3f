/**
 * The c2s stream's states (RFC 6120 §4-§7). `secured` means confidentiality is in place (TLS here or
 * at a trusted proxy) and SASL may start; `authenticated` waits for the restarted stream and bind.
 */
export type StreamState =
  | 'connected'
  | 'tls-negotiating'
  | 'secured'
  | 'authenticating'
  | 'authenticated'
  | 'bound'
  | 'closing'
  | 'closed';

/** Stream error conditions the edge sends (RFC 6120 §4.9.3). */
export type StreamErrorCondition =
  | 'bad-format'
  | 'conflict'
  | 'connection-timeout'
  | 'host-unknown'
  | 'internal-server-error'
  | 'invalid-from'
  | 'invalid-namespace'
  | 'invalid-xml'
  | 'not-authorized'
  | 'not-well-formed'
  | 'policy-violation'
  | 'reset'
  | 'resource-constraint'
  | 'restricted-xml'
  | 'see-other-host'
  | 'system-shutdown'
  | 'undefined-condition'
  | 'unsupported-encoding'
  | 'unsupported-stanza-type'
  | 'unsupported-version';
