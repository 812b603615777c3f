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

export const subjects = {
  /** Stanzas and session events for the router that owns the sender's partition. */
  routerIn: (partition: number) => `${PREFIX}.router.in.${partition}`,
  /** Presence, roster and subscription work for the user's partition. */
  presenceIn: (partition: number) => `${PREFIX}.presence.in.${partition}`,
  /** Stanzas to write to sessions held by one edge. */
  edgeDeliver: (edgeId: string) => `${PREFIX}.edge.${token(edgeId)}.deliver`,
  /** Commands to one edge (close a session, drain). */
  edgeControl: (edgeId: string) => `${PREFIX}.edge.${token(edgeId)}.control`,
  /** Load reports from every component instance, for the operator. */
  load: (component: string, instance: string) => `${PREFIX}.load.${component}.${token(instance)}`,
  loadAll: () => `${PREFIX}.load.>`,
};

/** KV buckets and keys. */
export const buckets = {
  sessions: 'glider_sessions',
  edges: 'glider_edges',
  routers: 'glider_routers',
  /** Members and partition claims of the presence service's PartitionedConsumer. */
  presence: 'glider_presence',
};

export const keys = {
  /** One session: `<bare>.<resource>`; all of a user's sessions match `<bare>.*`. */
  session: (bare: string, resource: string) => `${token(bare)}.${token(resource)}`,
  sessionsOf: (bare: string) => `${token(bare)}.*`,
  edge: (edgeId: string) => token(edgeId),
  router: (routerId: string) => token(routerId),
};
