import type { SaslMechanism } from '#libs/auth';
import type { Element } from '#libs/xml';
import type { C2sStream } from './stream/c2s-stream.machine.js';
import type { StanzaIn } from './stream/stanza-in.js';
import type { StanzaOut } from './stream/stanza-out.js';

/**
 * The edge's hook vocabulary: what features can react to. Handlers run by priority, higher first;
 * 'stop' ends the chain (for `negotiate`: "I handled this element"; for `stanza-in`/`stanza-out`:
 * "pass it on without asking the handlers after me").
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
  /**
   * A bound client sent a stanza (message, presence, iq), before any check or `negotiate`: every
   * stanza a bound client sends passes here once (stream management counts them). A handler may
   * pass it, change `el`, `drop(reason)` it, or `hold()` and later `release()` it. May be async.
   * Only runs when a handler is registered (stream/stanza-in.ts).
   */
  'stanza-in': StanzaIn<C2sStream>;
  /**
   * A stanza is about to be written to the client: router deliveries, the edge's replies and the
   * errors it makes. A handler may pass it, change it (`element()` parses a delivery on demand),
   * `drop(reason)` it, or `hold()` and later `release()` or `drop()` it (CSI, stream management).
   * Synchronous: a handler must not await (stream/stanza-out.ts). Each stanza's caller learns the
   * outcome (stream/outgoing.ts). Nothing runs and nothing is parsed when no handler is registered.
   */
  'stanza-out': StanzaOut<C2sStream>;
  /** A resource was bound (RFC 6120 §7). */
  'stream-bound': { stream: C2sStream };
  /**
   * XEP-0388: building SASL2's <authentication/>: append to `inline` what may be negotiated inside
   * <authenticate/> (XEP-0198 <sm/>, XEP-0386 <bind/>, XEP-0484 <fast/>), and push to `mechanisms`
   * any mechanism offered there (FAST's HT-*) so that the exchange accepts it.
   */
  'sasl2-inline': { stream: C2sStream; inline: Element; mechanisms: string[] };
  /** XEP-0386: building Bind2's <inline/>: append a <feature var/> for each extension <bind/> may enable. */
  'bind2-inline': { stream: C2sStream; inline: Element };
  /** XEP-0388: `name` is not a password mechanism; the feature that offered it sets `mechanism`. */
  'sasl2-mechanism': { stream: C2sStream; request: Element; name: string; userAgent?: UserAgent; mechanism?: SaslMechanism };
  /**
   * XEP-0388 §success: the stream is authenticated (bare JID, state `authenticated`, no restart) and
   * not answered yet. Features handle their child of <authenticate/> (<resume/>, <bind/>,
   * <request-token/>) and append their answer to `success`. `answer()` writes <success/> and the
   * new features at once (a resume must, before it replays); after it, nothing more is added.
   * Setting `refused` (and returning 'stop') answers <failure/> instead and the stream is
   * unauthenticated again.
   */
  'sasl2-success': {
    stream: C2sStream;
    request: Element;
    userAgent?: UserAgent;
    success: Element;
    answered(): boolean;
    answer(): Promise<void>;
    refused?: { condition: string; appCondition?: Element; text?: string };
  };
  /** XEP-0386: a resource was bound by Bind2; features handle their child of <bind/> and append to `bound`. */
  'bind2-bound': { stream: C2sStream; request: Element; bound: Element };
  /** The connection is gone (after session clean-up). */
  'stream-closed': { stream: C2sStream };
}

/** XEP-0388 §initiation: the client's <user-agent/>: `id` is stable per installation (FAST and Bind2 key on it). */
export interface UserAgent {
  id?: string;
  software?: string;
  device?: string;
}
