/**
 * Stream states are an open set, declared per kind of stream as interfaces whose keys are the
 * state names (the values say what a state means, for readers and tooling). A feature adds a state
 * by declaration merging, so the union of states stays checked by the compiler:
 *
 *   declare module '../../stream/stream-state.js' {
 *     interface C2sStreamStates {
 *       // XEP-0198: the connection is gone, the session waits to be resumed.
 *       detached: 'hibernated: no connection, deliveries held for resumption';
 *     }
 *   }
 *
 * After that `stream.state = 'detached'` compiles, and a typo does not. `BaseStreamStates` are the
 * lifecycle every stream has (stream/base-stream.ts); `C2sStreamStates` adds RFC 6120 §4-§7
 * negotiation (stream/c2s-stream.machine.ts); the s2s stream will declare `S2sStreamStates`.
 */
export interface BaseStreamStates {
  /** The connection is accepted; the stream header and negotiation come next. */
  connected: 'accepted, nothing negotiated yet';
  /** We closed (or errored) our side; the peer's close or the grace period ends the connection. */
  closing: 'our closing tag or stream error is sent';
  /** The connection is gone; nothing is read or written any more. */
  closed: 'the connection is gone';
}
export type BaseStreamState = keyof BaseStreamStates;

/**
 * The c2s stream's states (RFC 6120 §4-§7). `secured` means confidentiality is in place (TLS here or
 * at a trusted proxy) and SASL may start; `authenticated` waits for the restarted stream and bind.
 */
export interface C2sStreamStates extends BaseStreamStates {
  'tls-negotiating': 'STARTTLS <proceed/> sent, TLS handshake running (RFC 6120 §5)';
  secured: 'TLS in place: SASL may start (RFC 6120 §6)';
  authenticating: 'a SASL exchange is running';
  authenticated: 'SASL succeeded: restarted stream, resource binding next (RFC 6120 §7)';
  bound: 'a resource is bound: stanzas flow to and from the router';
}
export type C2sStreamState = keyof C2sStreamStates;

/**
 * A server-to-server stream's states, either direction (RFC 6120 §4-§6, apps/edge/src/s2s): TLS is
 * required before authentication, and stanzas flow only once the peer's domain is authenticated.
 */
export interface S2sStreamStates extends BaseStreamStates {
  'tls-negotiating': 'STARTTLS under way (RFC 6120 §5)';
  secured: 'TLS in place: the peer certificate is checked, SASL EXTERNAL next (RFC 6120 §6, XEP-0178)';
  authenticating: 'our <auth/> is sent (outbound)';
  authenticated: 'SASL succeeded: the restarted stream follows';
  ready: 'the peer domain is authenticated: stanzas flow';
}
export type S2sStreamState = keyof S2sStreamStates;

/** Kept for existing imports: the c2s stream's states. */
export type StreamState = C2sStreamState;

/** Stream error conditions (RFC 6120 §4.9.3), as libs/stanza defines them. */
export type { StreamErrorCondition } from '#libs/stanza';
