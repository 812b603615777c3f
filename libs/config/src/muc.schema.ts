import { z } from 'zod';

/**
 * `muc`: the XEP-0045 group chat service (apps/muc). Its own file so other branches' config
 * additions never touch these lines. Every limit is answered with the XEP-0045 error named beside it.
 */
const count = z.number().int().min(1);

export const mucSchema = z.strictObject({
  /**
   * Runs the muc service: declares `<subdomain>.<domain>` for each local domain and lists it in the
   * server's disco#items only then. Off by default until the service is complete (apps/muc README).
   */
  enabled: z.boolean().default(false),
  /** Instance id on the bus (default: host name). */
  id: z.string().min(1).optional(),
  /** First label of the service's domains: `conference` serves conference.<each local domain>. */
  subdomain: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label')
    .default('conference'),
  /** Who may create rooms: any local user, or only `admin.jids` (others get `not-allowed`, §10.1.1). */
  roomCreation: z.enum(['anyone', 'admins']).default('anyone'),
  /** Rooms one user may own; creating one more → `not-allowed` (XEP-0045 §10.1.1). */
  maxRoomsPerUser: count.default(100),
  /** Occupants of one room at most, whatever its muc#roomconfig_maxusers; past it → `service-unavailable` (§7.2.10). */
  maxOccupantsPerRoom: count.default(1000),
  /** Nickname length in UTF-8 bytes; longer → `not-acceptable` (XEP-0045 §7.2.1, RFC 8266). */
  maxNickBytes: count.default(128),
  /** Groupchat or private message size (serialized bytes); larger → `not-acceptable` (§7.4). */
  maxMessageBytes: count.default(16_384),
  /** Default of a new room's history length (muc#maxhistoryfetch). */
  defaultHistoryLength: z.number().int().min(0).default(20),
  /** Ceiling on a room's history length; an owner's larger value → `not-acceptable` (§10.2). */
  maxHistoryLength: z.number().int().min(0).default(100),
  /** Bytes of recent history kept per room in the live state (the oldest go first past it). */
  maxHistoryBytes: count.default(256 * 1024),
  /** Joins (and nick changes) one user may make per minute across the service; past it → `resource-constraint` (wait). */
  maxJoinsPerMinute: count.default(60),
  /** Groupchat and private messages one occupant may send per minute; past it → `resource-constraint` (wait). */
  maxMessagesPerMinute: count.default(300),
  /** Room archives (XEP-0313 on rooms whose muc#roomconfig_enablelogging is on); off: none kept or advertised. */
  archiveRooms: z.boolean().default(true),
  /** muc#roomconfig_enablelogging of a new room (Conversations, Dino and Gajim read a room's history from its archive). */
  defaultEnableLogging: z.boolean().default(true),
  /** Items of the public room list (disco#items) per page without an RSM `<max/>`, and the cap on it (XEP-0059). */
  maxRoomListPage: count.default(100),
  /**
   * Groupchat messages per room remembered by sender and origin-id (XEP-0359), so a client's resend
   * of a message the room already took (its replica died before answering, the router bounced it)
   * is reflected to the sender again instead of broadcast twice. 0: no de-duplication.
   */
  resendWindow: z.number().int().min(0).default(64),
  /**
   * Per-edge fan-out: a room's stanzas for sessions on one edge go in one bus request of at most this
   * many (bus.proto DeliveryBatch, one Ack each). 1: one request per session (what edges older than
   * DeliveryBatch understand: keep 1 during a rolling upgrade from them).
   */
  fanoutBatchMax: count.default(256),
  /**
   * A stanza for several sessions on one edge (a room's message, a join's presence) goes as one
   * DeliveryFanout: its bytes once and per session only `to` and the session id, instead of a whole
   * copy per session in a DeliveryBatch. false: DeliveryBatch (what edges older than DeliveryFanout
   * understand: keep false during a rolling upgrade from them).
   */
  fanoutShared: z.boolean().default(true),
  /**
   * Heartbeat of the muc replicas' partition group (members bucket `glider_muc`): a replica that
   * dies is given up, and its rooms taken over, 3 to 4 heartbeats later (libs/bus
   * PartitionedConsumer). Shorter than `bus.heartbeatMs` (2 s: 6–8 s) so a room serves again within
   * issue 12's 5 s; each replica refreshes its partition claims this often.
   */
  heartbeatMs: z.number().int().min(100).default(1_000),
});

export type MucConfig = z.infer<typeof mucSchema>;
