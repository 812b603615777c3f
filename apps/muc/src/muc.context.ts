import type { StanzaEnvelope } from '#libs/bus';
import type { MucConfig } from '#libs/config';
import type { Jid } from '#libs/jid';
import type { ServiceDeps } from '#libs/runtime';
import type { Element } from '#libs/xml';
import type { Hooks, IqDispatcher } from '#libs/xmpp-kit';
import type { Outbox } from './core/outbox.js';
import type { RoomStore } from './core/room-store.js';
import type { Room } from './core/room.js';
import type { MucHooks } from './muc.hooks.js';

/** What the service is built from (Nest provides these in the app; tests pass them directly). */
export type MucDeps = ServiceDeps;

/** A stanza to a room or an occupant, with the room it names (undefined when there is no such room). */
export interface MucStanza {
  el: Element;
  from: Jid;
  /** room@service or room@service/nick, canonical. */
  to: Jid;
  env: StanzaEnvelope;
  room: Room | undefined;
  /** What this frame sends to occupants' sessions (flushed by the runtime after the handlers). */
  out: Outbox;
  /** Set by a handler that created or loaded a room the runtime must save. */
  touched?: Room;
}

/** What a muc IQ handler gets. */
export interface MucIqRequest extends MucStanza {
  iq: Element;
  payload: Element;
}

/** What a muc feature's setup gets. */
export interface MucContext extends MucDeps {
  readonly hooks: Hooks<MucHooks>;
  readonly muc: MucConfig;
  readonly rooms: RoomStore;
  /** IQs to the service domain itself (conference.<domain>): disco, the room list. */
  readonly serviceIq: IqDispatcher<MucIqRequest>;
  /** IQs to a room's bare JID: disco, muc#owner, muc#admin (room may be undefined). */
  readonly roomIq: IqDispatcher<MucIqRequest>;
  /** IQs to an occupant (room@service/nick): XEP-0410 self-ping. */
  readonly occupantIq: IqDispatcher<MucIqRequest>;
  /** Disco features of the rooms: those of the features that registered something. */
  roomFeatures(): string[];
  /** Sends a stanza from the room to someone who is not (or not only) an occupant: through the router (invitations). */
  route(el: Element): Promise<void>;
  /** Queues an answer (an error, an IQ result) to the stanza's sender. */
  reply(st: MucStanza, reply: Element | undefined): void;
  /** Re-reads stored or received XML with the edge's limits. */
  parseXml(text: string): Element;
  /** Whether `bare` is a service admin (config `admin.jids`): may create rooms when `muc.roomCreation` is admins. */
  isServiceAdmin(bare: string): boolean;
}
