import { KvConflictError, encodeFrame, partitionOf, requestRetrying, subjects, decodeAck, type Bus, type StanzaEnvelope, type StanzaKind } from '#libs/bus';
import type { SessionRegistry } from '../session-registry.js';
import type { ResumableRecord, ResumableStore, StoredItem } from './resumable-store.js';

export interface EndResumableDeps {
  bus: Bus;
  registry: SessionRegistry;
  store: ResumableStore;
  partitions: number;
  /** How long a router has to take each stanza back (edge.routeTimeoutMs). */
  routeTimeoutMs: number;
  logger: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
  /** When no router takes a stanza back: store it (offline) or bounce it; rejects if neither worked. */
  lastResort(env: StanzaEnvelope): Promise<void>;
}

/** How long one process may take to hand an ending session's queue over before another takes the job. */
const ENDING_LEASE_MS = 60_000;

/**
 * Ends a resumable session for good (XEP-0198 §5: its timeout passed, the client closed cleanly,
 * or it broke a limit): what its queue holds — sent and unacknowledged, or held while detached — is
 * routed again in the order it was stored, as to a vanished resource (RFC 6121 §8.5.3.2: another
 * resource, offline storage, or an error to the sender; never dropped), then the registry record
 * goes and presence hears ENDED (unavailable is broadcast).
 *
 * Whoever runs it (the edge that holds the session, or any router once it expired) first moves the
 * record to `ending` by compare-and-set, so exactly one process does it; `accept` says whether the
 * record as found may be ended. A process that dies half-way leaves `ending` with a lease; a router
 * takes it over when the lease is past and routes what is left (a stanza routed twice, not lost).
 */
export async function endResumable(
  deps: EndResumableDeps,
  id: string,
  reason: string,
  accept: (r: ResumableRecord, now: number) => boolean,
  /** Only if the record is still at this revision (the caller checked it against something else). */
  revision?: number,
): Promise<boolean> {
  const cur = await deps.store.get(id);
  if (!cur) {
    await deps.store.unmarkDetached(id).catch(() => undefined);
    return false;
  }
  const now = Date.now();
  if (!accept(cur.record, now) || (revision !== undefined && cur.revision !== revision)) return false;
  try {
    await deps.store.update(id, { ...cur.record, state: 'ending', expiresAtMs: now + ENDING_LEASE_MS }, cur.revision);
    // Indexed, so that routers finish the job if this process dies half-way.
    await deps.store.markDetached(id, now + ENDING_LEASE_MS);
  } catch (err) {
    if (err instanceof KvConflictError) return false; // resumed or ended by someone else meanwhile
    throw err;
  }
  const { jid } = cur.record;
  // First out of the registry, so the router sends what it routes again elsewhere, not back here.
  const removed = await deps.registry.remove(jid, id);
  const items = await deps.store.items(id);
  let rerouted = 0;
  const keys = new Set<string>();
  for (const item of items) {
    // Acknowledged by the client (its record says so) and not trimmed yet: delivered, not redone.
    const acked = item.item.n !== undefined && item.item.n <= cur.record.acked;
    // In the queue twice (routed again after the edge that stored it died, and held here): once.
    const sk = item.item.sk;
    const repeat = sk !== undefined && keys.has(sk);
    if (sk !== undefined) keys.add(sk);
    if (!acked && !repeat && (await handBack(deps, item))) rerouted++;
    await deps.store.deleteItem(item.key).catch(() => undefined);
  }
  if (removed) {
    const bare = jid.slice(0, jid.indexOf('/'));
    const frame = encodeFrame({ session: { kind: 'ENDED', jid, session: { edgeId: removed.edgeId, sessionId: id }, wasAvailable: removed.available } });
    deps.bus.request(subjects.presenceIn(partitionOf(bare, deps.partitions)), frame, { timeoutMs: deps.routeTimeoutMs }).catch((err: unknown) => {
      deps.logger.warn({ err: (err as Error).message, jid }, 'presence did not take the end of a resumable session');
    });
  }
  await deps.store.unmarkDetached(id).catch(() => undefined);
  await deps.store.delete(id);
  deps.logger.info({ sid: id, jid, reason, queued: items.length, rerouted }, 'resumable session ended; its queue was routed again');
  return true;
}

/** One stanza back to a router (hops + 1, no target): true when a router or the last resort took it. */
async function handBack(deps: EndResumableDeps, stored: StoredItem): Promise<boolean> {
  const { item } = stored;
  // Presence to a gone session is not redone (RFC 6121 §8.5.3.2.2); the roster holds subscriptions.
  if (item.k === 'PRESENCE') return false;
  const env: StanzaEnvelope = {
    from: item.fr,
    to: item.to,
    kind: item.k as StanzaKind,
    type: item.t,
    id: item.i,
    xml: typeof item.x === 'string' ? Buffer.from(item.x, 'utf8') : item.x,
    hops: 1,
  };
  const slash = item.to.indexOf('/');
  const bare = slash < 0 ? item.to : item.to.slice(0, slash);
  try {
    const reply = await requestRetrying(deps.bus, subjects.routerIn(partitionOf(bare, deps.partitions)), encodeFrame({ stanza: env }), {
      timeoutMs: deps.routeTimeoutMs,
    });
    if (decodeAck(reply).taken) return true;
  } catch (err) {
    deps.logger.warn({ err: (err as Error).message, to: item.to, stanzaId: item.i }, 'no router took back a stanza of an ended resumable session');
  }
  try {
    await deps.lastResort(env);
    return true;
  } catch (err) {
    deps.logger.error(
      { err: (err as Error).message, to: item.to, stanzaId: item.i },
      'LOST: a stanza of an ended resumable session could be neither routed nor stored',
    );
    return false;
  }
}
