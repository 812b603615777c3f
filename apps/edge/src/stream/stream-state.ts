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

/** Stream error conditions (RFC 6120 §4.9.3), as libs/stanza defines them. */
export type { StreamErrorCondition } from '#libs/stanza';
