import type { AddressingTable } from '#libs/addressing';
import type { UserExistence } from '#libs/directory';
import type { ServiceDeps } from '#libs/runtime';
import type { StanzaError } from '#libs/stanza';
import type { Subscription } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { Hooks, IqDispatcher } from '#libs/xmpp-kit';
import type { Delivery } from '#libs/bus';
import type { ResumableStore } from '#libs/sessions';
import type { DiscoNodes } from './core/disco-nodes.js';
import type { IqRequest } from './core/iq-dispatcher.js';
import type { RoutedStanza } from './core/routed-stanza.js';
import type { RouterHooks } from './router.hooks.js';

/** What the service is built from (Nest provides these in the app; tests pass them directly). */
export type RouterDeps = ServiceDeps;

/** Counters behind the glider_router_* metrics and the load report. */
export interface RouterStats {
  routed: number;
  bounced: number;
  offlineStored: number;
  offlineDelivered: number;
  /** Stanzas routed again because no delivery of theirs was acknowledged (docs/reliability.md). */
  rerouted: number;
}

/** What a router feature's setup gets. */
export interface RouterContext extends RouterDeps {
  readonly hooks: Hooks<RouterHooks>;
  /** Server and account IQs: one line per (type, namespace, scope); the router declares them in the table. */
  readonly iq: IqDispatcher<IqRequest>;
  /** Where a stanza goes (libs/addressing): every router and service sees the same table. */
  readonly addressing: AddressingTable;
  /** This service's name in the addressing table ('router'). */
  readonly serviceName: string;
  readonly delivery: Delivery;
  /** XEP-0198 resumable sessions' state (held stanzas for detached sessions, expiry). */
  readonly resumable: ResumableStore;
  readonly startedAt: Date;
  readonly stats: RouterStats;
  /** Server disco nodes other features answer (XEP-0030 `node`; e.g. XEP-0050's commands). */
  readonly discoNodes: DiscoNodes;
  /** Features a local account shows in disco#info (XEP-0402 #compat), declared in the table. */
  readonly accountDisco: { features: Set<string> };
  /** Disco#info features of everything the server runs now (every live service's declaration). */
  discoFeatures(): string[];
  /** Sends `el` to the sender of `st`: to its own session when known, else by its full JID. */
  reply(st: RoutedStanza, el: Element): Promise<void>;
  /** Answers `st` with an error, unless one must not (errors and IQ results are never answered). */
  bounce(st: RoutedStanza, err: StanzaError): Promise<void>;
  /** Parses stored XML (vCards, private data, offline messages) with the configured limits. */
  parseXml(text: string): Element;
  /** An account, or a directory user provisioned now; 'unknown' while their directory cannot be asked. */
  userExists(bare: string): Promise<UserExistence>;
  /** The subscription `owner` has with `contact` in owner's roster ('none' without an item). */
  subscriptionOf(owner: string, contact: string): Promise<Subscription>;
}
