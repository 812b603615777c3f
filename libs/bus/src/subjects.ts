/**
 * The one place NATS subjects and KV keys are built. A JID never appears raw in a subject (`.`
 * separates tokens, and `*`, `>` and spaces are special): it is carried as a base64url token.
 */
const PREFIX = 'glider.v1';

export function token(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url') || '_';
}

export function untoken(tok: string): string {
  return tok === '_' ? '' : Buffer.from(tok, 'base64url').toString('utf8');
}

/** FNV-1a: stable across processes and releases, so every edge picks the same partition. */
export function partitionOf(key: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

/** A service name is one plain subject token (it names the service's partition subjects). */
export const SERVICE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** The partition subjects of a service declared in the addressing table (libs/addressing). */
function serviceIn(service: string, partition: number): string {
  if (!SERVICE_NAME.test(service)) throw new Error(`invalid service name "${service}"`);
  return `${PREFIX}.${service}.in.${partition}`;
}

export const subjects = {
  /** Stanzas and session events for the router that owns the sender's partition. */
  routerIn: (partition: number) => `${PREFIX}.router.in.${partition}`,
  /** Presence, roster and subscription work for the user's partition. */
  presenceIn: (partition: number) => `${PREFIX}.presence.in.${partition}`,
  /** Any declared service's partition `partition` (routerIn and presenceIn are two of them). */
  serviceIn,
  /** Stanzas to write to sessions held by one edge. */
  edgeDeliver: (edgeId: string) => `${PREFIX}.edge.${token(edgeId)}.deliver`,
  /** Commands to one edge (close a session, drain). */
  edgeControl: (edgeId: string) => `${PREFIX}.edge.${token(edgeId)}.control`,
  /** XEP-0198: another edge asks this one to let go of a resumable session it holds (fencing at resume). */
  edgeSm: (edgeId: string) => `${PREFIX}.edge.${token(edgeId)}.sm`,
  /** Load reports from every component instance, for the operator. */
  load: (component: string, instance: string) => `${PREFIX}.load.${component}.${token(instance)}`,
  loadAll: () => `${PREFIX}.load.>`,
  /** XEP-0065 activations for the media-relay instance holding a stream's connections. */
  socks5Activate: (instance: string) => `${PREFIX}.media.socks5.${token(instance)}.activate`,
  /** XEP-0191: an account's blocklist changed (payload: the bare JID); every cache drops it. */
  blocklistChanged: () => `${PREFIX}.blocking.changed`,
  /** Shared rosters (docs/directory.md): every presence replica reads its directory groups now (payload: a domain, or empty = all); each answers JSON. */
  directoryRefresh: () => `${PREFIX}.directory.refresh`,
  /** XEP-0357: an app server's answer to a push publish, for the router instance that sent it (a Frame with the stanza). */
  pushAnswers: (instance: string) => `${PREFIX}.push.${token(instance)}.answers`,
  /** Federation: a peer domain authenticated a stream to one edge (payload: the domain); every edge ends its retry back-off towards it. */
  s2sPeerReachable: () => `${PREFIX}.s2s.reachable`,
};

/** KV buckets and keys. */
export const buckets = {
  sessions: 'glider_sessions',
  edges: 'glider_edges',
  routers: 'glider_routers',
  /** Members and partition claims of the presence service's PartitionedConsumer. */
  presence: 'glider_presence',
  /** Members and partition claims of media-relay's PartitionedConsumer (apps/media-relay). */
  media: 'glider_media',
  /** Keys every media-relay replica shares (the XEP-0363 slot signing key). */
  mediaKeys: 'glider_media_keys',
  /** What each live service instance serves (libs/addressing); entries live 3 heartbeats. */
  services: 'glider_services',
  /** XEP-0198 resumable sessions: records, unacknowledged stanzas, the detached index (libs/sessions). */
  resumable: 'glider_sm',
  /** media-relay's SOCKS5 streams (who holds each) and running transfers per user; entries live 3 heartbeats. */
  socks5: 'glider_socks5',
  /** XEP-0050 ad-hoc command sessions (any router continues a session another one started). */
  adhoc: 'glider_adhoc',
  /** XEP-0115 verified caps hashes → features (libs/pubsub CapsCache); content-addressed, never stale. */
  caps: 'glider_caps',
  /** Members and partition claims of the muc service's PartitionedConsumer (apps/muc). */
  muc: 'glider_muc',
  /** XEP-0045 rooms' live state (occupants, roles, recent history), one key per room: a new owner takes it over. */
  mucRooms: 'glider_muc_rooms',
  /** Stanzas an edge accepted for remote domains and has not written yet (apps/edge s2s-out-queue.ts): a new owner sends them. */
  s2sOut: 'glider_s2s_out',
};

export const keys = {
  /** One session: `<bare>.<resource>`; all of a user's sessions match `<bare>.*`. */
  session: (bare: string, resource: string) => `${token(bare)}.${token(resource)}`,
  sessionsOf: (bare: string) => `${token(bare)}.*`,
  edge: (edgeId: string) => token(edgeId),
  router: (routerId: string) => token(routerId),
  /** One instance's declaration: `<service>.<instance>`; all of a service's match `<service>.*`. */
  service: (service: string, instance: string) => `${token(service)}.${token(instance)}`,
  /** A resumable session's record (its id is a session id: a UUID, a valid token). */
  resumable: (id: string) => `s.${id}`,
  /** One stanza of a resumable session's queue; all of them match `q.<id>.*`. */
  resumableItem: (id: string, item: string) => `q.${id}.${item}`,
  resumableItems: (id: string) => `q.${id}.*`,
  /**
   * A stanza a router held for a detached session (`h.<id>.<item>`), apart from the numbered queue
   * so that the edge's trim of acknowledged items (a purge of `q.<id>.*` up to a revision) never
   * reaches one it has not replayed yet.
   */
  resumableHeldItem: (id: string, item: string) => `h.${id}.${item}`,
  resumableHeldItems: (id: string) => `h.${id}.*`,
  /** Present while the session is detached (what routers scan for expiry). */
  detached: (id: string) => `d.${id}`,
  allDetached: () => 'd.*',
  /** The instance holding a SOCKS5 stream (its hash is 40 hex digits, a plain token). */
  socks5Stream: (hash: string) => `s.${hash}`,
  /** One running transfer of a requester: `u.<bare>.<hash>`; all of theirs match `u.<bare>.*`. */
  socks5UserTransfer: (bare: string, hash: string) => `u.${token(bare)}.${hash}`,
  socks5UserTransfers: (bare: string) => `u.${token(bare)}.*`,
  /** One room's live state in buckets.mucRooms. */
  mucRoom: (roomJid: string) => token(roomJid),
  /** One stanza waiting for a (local, remote) domain pair, put by `edge` as its `n`th; ordered by revision. */
  s2sOutItem: (partition: number, local: string, remote: string, edge: string, n: number) =>
    `o.${partition}.${token(local)}.${token(remote)}.${token(edge)}.${n}`,
  /** Everything waiting for one domain pair (`s2sOutItem`s). */
  s2sOutPair: (partition: number, local: string, remote: string) => `o.${partition}.${token(local)}.${token(remote)}.>`,
  /** Everything waiting in one partition of the `s2s` service. */
  s2sOutPartition: (partition: number) => `o.${partition}.>`,
};
