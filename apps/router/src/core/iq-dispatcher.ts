import type { Jid } from '#libs/jid';
import type { Element } from '#libs/xml';
import type { Registration } from '#libs/xmpp-kit';
import type { IqAnswer } from '../router.hooks.js';
import type { RoutedStanza } from './routed-stanza.js';

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

export type IqHandler = (req: IqRequest) => IqAnswer | Promise<IqAnswer>;

/** Where a handler answers: on the server's domain, on a bare account JID, or both. */
export interface IqScope {
  server?: boolean;
  account?: boolean;
}

interface Entry {
  handler: IqHandler;
  scope: IqScope;
  owner: string;
}

/**
 * Server-handled IQs keyed by (type, payload namespace): the router's 'iq:get:<ns>' vocabulary.
 * One handler per key and scope; the first registration wins, later ones are a boot error.
 */
export class IqDispatcher {
  private readonly entries = new Map<string, Entry[]>();

  register(type: 'get' | 'set', ns: string, handler: IqHandler, scope: IqScope, owner = 'anonymous'): Registration {
    const key = `${type} ${ns}`;
    const list = this.entries.get(key) ?? [];
    for (const e of list) {
      if ((e.scope.server && scope.server) || (e.scope.account && scope.account)) {
        throw new Error(`iq ${key} is already handled by ${e.owner}`);
      }
    }
    const entry: Entry = { handler, scope, owner };
    list.push(entry);
    this.entries.set(key, list);
    return () => {
      const i = list.indexOf(entry);
      if (i >= 0) list.splice(i, 1);
    };
  }

  find(type: string, ns: string | undefined, toServer: boolean): IqHandler | undefined {
    if (ns === undefined) return undefined;
    const list = this.entries.get(`${type} ${ns}`);
    return list?.find((e) => (toServer ? e.scope.server : e.scope.account))?.handler;
  }

  /** Namespaces handled for a scope (disco#info of the server and of accounts). */
  namespaces(toServer: boolean): string[] {
    const out = new Set<string>();
    for (const [key, list] of this.entries) {
      if (list.some((e) => (toServer ? e.scope.server : e.scope.account))) out.add(key.slice(key.indexOf(' ') + 1));
    }
    return [...out];
  }
}
