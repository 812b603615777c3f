import type { Element } from '#libs/xml';
import type { C2sStream } from './stream/c2s-stream.machine.js';

/**
 * The edge's hook vocabulary: what features can react to. Handlers run by priority, higher first;
 * 'stop' ends the chain (for `negotiate`: "I handled this element").
 */
export interface EdgeHooks {
  /** A connection was accepted (timers, per-connection state). */
  'stream-opened': { stream: C2sStream };
  /** Building <stream:features/> for the current stream state: append children. */
  'stream-features': { stream: C2sStream; features: Element };
  /**
   * A top-level element arrived. Negotiation features (STARTTLS, SASL, bind, session, register)
   * claim theirs; what nobody claims goes to the router once bound, else is refused.
   */
  negotiate: { stream: C2sStream; el: Element };
  /** A resource was bound (RFC 6120 §7). */
  'stream-bound': { stream: C2sStream };
  /** The connection is gone (after session clean-up). */
  'stream-closed': { stream: C2sStream };
}
