import { KvConflictError, type StanzaEnvelope } from '#libs/bus';
import type { ResumableStore } from './resumable-store.js';

/** Tries when the session's record moves on while a stanza is appended (a detach or resume racing it). */
const ATTEMPTS = 3;

/**
 * XEP-0198 on the router's side: a delivery to a resumable session was not taken (its edge is dead,
 * its connection is gone, its stream is closing). Unless the session is ending, the stanza is held
 * for it: appended to its queue in the store, where the resume replays it (on any edge) or the end
 * of the session routes it again.
 *
 * The append is checked against the record: if the record changed meanwhile (a resume may have
 * read the queue already), the item is withdrawn and the append redone against the new state. A
 * withdrawal that fails means the new owner already took the item: it is held.
 */
export async function holdForResumable(store: ResumableStore, env: StanzaEnvelope, sessionId: string, failedEdge: string): Promise<HoldOutcome> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const before = await store.get(sessionId);
    if (!before || before.record.state === 'ending') return NOT_HELD;
    // Resumed on another edge meanwhile: the session is live there (the record is fresher than any registry cache).
    if (before.record.state === 'attached' && before.record.edgeId !== failedEdge) return { kind: 'moved', edgeId: before.record.edgeId };
    const stored = await store.putHeldItem(sessionId, {
      v: 1,
      x: env.xml,
      k: env.kind,
      t: env.type,
      i: env.id,
      to: env.to,
      fr: env.from,
      ...(env.sessionKey ? { sk: env.sessionKey } : {}),
    });
    const after = await store.get(sessionId);
    if (after && after.revision === before.revision) return HELD;
    try {
      await store.deleteItem(stored.key, stored.revision);
    } catch (err) {
      if (err instanceof KvConflictError) return HELD;
      throw err;
    }
    // withdrawn: the item is gone; look at the record again
  }
  return NOT_HELD;
}

const HELD: HoldOutcome = { kind: 'held' };
const NOT_HELD: HoldOutcome = { kind: 'not-held' };

/**
 * `held`: in the session's queue; `moved`: the session was resumed on edge `edgeId` (the caller
 * delivers the stanza there); `not-held`: no such session, or it is ending.
 */
export type HoldOutcome = { kind: 'held' } | { kind: 'moved'; edgeId: string } | { kind: 'not-held' };
