import type { AddressingTable } from '#libs/addressing';
import type { UserExistence } from '#libs/directory';
import type { Jid } from '#libs/jid';
import type { ServiceDeps } from '#libs/runtime';
import type { SessionInfo } from '#libs/sessions';
import type { RosterChange, RosterItem } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { PepService } from '#libs/pubsub';
import type { Hooks, IqDispatcher, Registration } from '#libs/xmpp-kit';
import type { Delivery } from '#libs/bus';
import type { DirectedPresence } from './core/directed-presence.js';
import type { SharedContacts } from './core/shared-contacts.js';
import type { PresenceStanza } from './core/presence-stanza.js';
import type { PresenceHooks } from './presence.hooks.js';

/** What the service is built from (Nest provides these in the app; tests pass them directly). */
export type PresenceDeps = ServiceDeps;

/** What a presence IQ handler gets: an IQ to an account the table gave to presence (the roster). */
export interface PresenceIqRequest {
  stanza: PresenceStanza;
  iq: Element;
  /** The IQ's one payload child (RFC 6120 §8.2.3). */
  payload: Element;
}

/** Counters behind the glider_presence_* metrics. */
export interface PresenceStats {
  stanzas: number;
  rosterPushes: number;
}

export interface PresenceContext extends PresenceDeps {
  readonly hooks: Hooks<PresenceHooks>;
  readonly stats: PresenceStats;
  readonly delivery: Delivery;
  readonly directed: DirectedPresence;
  /** Contacts from directory groups (shared rosters), merged into roster reads, never stored. */
  readonly sharedRoster: SharedContacts;
  /**
   * Account IQs, one line each: `ctx.iq.register('get', ns, handler, { account: 'own' })`. They are
   * declared in the addressing table, so the router sends them here.
   */
  readonly iq: IqDispatcher<PresenceIqRequest>;
  /** Where a stanza goes (libs/addressing); presence never checks a domain itself. */
  readonly addressing: AddressingTable;
  /** PEP (XEP-0163) on every account: what the PEP feature and others (avatars, bookmarks) publish through. */
  readonly pep: PepService;
  /** Identities ("category/type") and features a local account shows in disco#info (declared in the table). */
  readonly accountDisco: { features: Set<string>; identities: Set<string> };
  /**
   * Serves a whole host (pubsub.<domain>): declared in the addressing table, every stanza to it (or
   * to a JID at it without a local part) comes to `handler`. Call during setup.
   */
  serveDomain(domain: string, handler: (st: PresenceStanza) => Promise<void>): Registration;
  /** This service's name in the addressing table ('presence'). */
  readonly serviceName: string;
  parseXml(text: string): Element;
  /**
   * Sends presence the server makes or forwards for a local user on, as the addressing table says:
   * a local account's inbound processing runs here at once (no extra hop); another service (MUC,
   * s2s) gets it on its subject; an address nobody serves bounces to the client when `sent` is the
   * client's own stanza being routed, and is dropped (debug log) when the server made it.
   */
  route(el: Element, sent?: PresenceStanza): Promise<void>;
  /** False when a 'presence:filter' handler drops presence from `from` to `to` (XEP-0191). */
  mayPass(from: Jid, to: Jid): Promise<boolean>;
  /** Writes `el` to every available resource of a local bare JID, `to` set to each full JID. */
  toAvailableResources(bare: string, el: Element, except?: string): Promise<SessionInfo[]>;
  /** Sends `el` to the session that sent `st` (resolves once handed on). */
  reply(st: PresenceStanza, el: Element): Promise<void>;
  /** Changes one roster item atomically and runs 'roster:changed' when it changed. */
  modifyRoster(owner: string, contact: string, mutate: (current: RosterItem | undefined) => RosterItem | undefined): Promise<RosterChange | undefined>;
  /** Tells the router of the user's partition that `session` is available (offline flush). */
  announceAvailable(session: SessionInfo): void;
  /** An account, or a directory user provisioned now; 'unknown' while their directory cannot be asked. */
  userExists(bare: string): Promise<UserExistence>;
  /** The presenceIn partitions this replica owns now (partitionOf(bare JID)). */
  ownedPartitions(): number[];
}
