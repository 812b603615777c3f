import type { ServiceDeps } from '#libs/runtime';
import type { SessionInfo } from '#libs/sessions';
import type { StanzaError } from '#libs/stanza';
import type { RosterChange, RosterItem } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { Hooks, Registration } from '#libs/xmpp-kit';
import type { Delivery } from '#libs/bus';
import type { DirectedPresence } from './core/directed-presence.js';
import type { PresenceStanza } from './core/presence-stanza.js';
import type { PresenceHooks } from './presence.hooks.js';

/** What the service is built from (Nest provides these in the app; tests pass them directly). */
export type PresenceDeps = ServiceDeps;

/** What an IQ handler returns when it sent its answer itself (a result followed by pushes, say). */
export const REPLIED = Symbol('replied');

/** An IQ from a local user to their own account (the router forwards jabber:iq:roster). */
export type PresenceIqHandler = (
  stanza: PresenceStanza,
  iq: Element,
  payload: Element,
) => Promise<Element | undefined | StanzaError | typeof REPLIED>;

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
  registerIq(type: 'get' | 'set', ns: string, handler: PresenceIqHandler): Registration;
  isLocalDomain(domain: string): boolean;
  parseXml(text: string): Element;
  /**
   * Sends a presence stanza the server makes or forwards for a local user to its `to`: a local
   * user's inbound processing runs at once; remote domains are dropped until federation lands (a
   * client's own presence to them is bounced by the runtime instead).
   */
  route(el: Element): Promise<void>;
  /** Writes `el` to every available resource of a local bare JID, `to` set to each full JID. */
  toAvailableResources(bare: string, el: Element, except?: string): Promise<SessionInfo[]>;
  /** Sends `el` to the session that sent `st`. */
  reply(st: PresenceStanza, el: Element): void;
  /** Changes one roster item atomically and runs 'roster:changed' when it changed. */
  modifyRoster(owner: string, contact: string, mutate: (current: RosterItem | undefined) => RosterItem | undefined): Promise<RosterChange | undefined>;
  /** Tells the router of the user's partition that `session` is available (offline flush). */
  announceAvailable(session: SessionInfo): void;
  userExists(bare: string): Promise<boolean>;
}
