import type { SessionInfo } from '#libs/sessions';
import type { RoutedStanza } from './core/routed-stanza.js';

/**
 * What router features react to (STYLE.md: one typed vocabulary per app). IQs are not hooks: they go
 * through the IQ dispatcher keyed by (type, payload namespace), see libs/xmpp-kit IqDispatcher.
 */
export interface RouterHooks {
  /**
   * A message or IQ on its first routing, before anything else looks at it (carbons, the table). A
   * handler that returns 'stop' has taken it (bounced or dropped it): XEP-0191 blocking.
   */
  'stanza:routing': { stanza: RoutedStanza };
  /** A message to a local user is about to be delivered to `sessions` (carbons, blocking). */
  'message:local': { stanza: RoutedStanza; sessions: SessionInfo[] };
  /**
   * A local client session sent a message (first routing, before it goes anywhere): carbons' sent
   * copies (XEP-0280 §7). Handlers only look; the message is routed whatever they return.
   */
  'message:sent': { stanza: RoutedStanza };
  /**
   * A normal or chat message found no available non-negative resource (RFC 6121 §8.5.2.2.1). A handler
   * that takes it (stores it, or bounces it itself) returns 'stop'; if none does, the router bounces it
   * with <service-unavailable/>.
   */
  'message:offline': { stanza: RoutedStanza; owner: string };
  /**
   * A message for a local account was kept for later, not delivered: held for a detached XEP-0198
   * session ('held', `session` is it) or stored offline ('offline'). Handlers only look, and must
   * not wait on the network (XEP-0357 push notifications start their publish and return).
   */
  'message:waiting': { stanza: RoutedStanza; owner: string; where: 'held' | 'offline' };
  /**
   * A XEP-0198 session lost its connection (its edge said so, or its edge died) and waits for a
   * resume; its queue (`ctx.resumable.items`) may hold stanzas the client had not acknowledged.
   * Handlers only look, and must not wait on the network (XEP-0357 push).
   */
  'session:detached': { jid: string; sessionId: string };
  /** A session sent initial presence with priority >= 0 (Frame{session AVAILABLE} from presence). */
  'session:available': { jid: string; session: SessionInfo };
}

export type { IqAnswer } from '#libs/xmpp-kit';
