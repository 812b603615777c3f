import type { Jid } from '#libs/jid';
import type { Element } from '#libs/xml';
import type { IqDispatcher, IqHandler as KitIqHandler } from '#libs/xmpp-kit';
import type { RoutedStanza } from './routed-stanza.js';

/** What a router IQ handler gets (registered with `ctx.iq.register(type, ns, handler, scope)`). */
export interface IqRequest {
  stanza: RoutedStanza;
  iq: Element;
  /** The IQ's one payload child (RFC 6120 §8.2.3). */
  payload: Element;
  from: Jid;
  /** The server's domain, or the bare account the server answers for (RFC 6121 §8.5.2.1.3). */
  to: Jid;
  toServer: boolean;
  /** The account addressed is the sender's own. */
  own: boolean;
}

/** The router's IQ handlers and dispatcher: the shared one of libs/xmpp-kit, over IqRequest. */
export type IqHandler = KitIqHandler<IqRequest>;
export type RouterIqDispatcher = IqDispatcher<IqRequest>;
export type { IqScope } from '#libs/xmpp-kit';
