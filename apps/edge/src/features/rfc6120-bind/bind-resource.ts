import { encodeFrame, subjects } from '#libs/bus';
import { jid, type Jid } from '#libs/jid';
import type { StanzaErrorCondition } from '#libs/stanza';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';

/** What binding a resource gave: the full JID, or the RFC 6120 §7.6.2 error (none when the stream closed meanwhile). */
export type BindOutcome = { ok: true; full: Jid } | { ok: false; condition?: StanzaErrorCondition; type?: 'cancel' | 'modify' | 'wait'; text?: string };

/** Streams with a resource bound here (RFC 6120 bind or XEP-0386 Bind2): stream-closed removes their record. */
export const boundResources = new WeakMap<C2sStream, Jid>();

/**
 * RFC 6120 §7 resource binding through the session registry, for both the <bind/> IQ and XEP-0386
 * Bind2: edge.resourceConflict decides what an already-bound full JID does (§7.7.2.2; the replaced
 * session's edge is told to close it with <conflict/>), and an account holds at most
 * edge.maxSessionsPerAccount sessions (§7.6.2.1 <resource-constraint/>). The caller answers, then
 * calls `bound()`.
 */
export async function bindResource(ctx: EdgeContext, stream: C2sStream, resource: string): Promise<BindOutcome> {
  let full: Jid;
  try {
    full = jid(stream.jid!.local, stream.jid!.domain, resource);
  } catch {
    return { ok: false, condition: 'bad-request', type: 'modify', text: 'the resource is not a valid resourcepart' };
  }
  let outcome;
  try {
    if (overCap(ctx, full)) return refuseOverCap(ctx, stream);
    outcome = await ctx.registry.bind(
      { jid: full.toString(), edgeId: ctx.edgeId, sessionId: stream.sessionId, priority: 0, available: false, interested: false, boundAtMs: Date.now() },
      ctx.config.edge.resourceConflict,
    );
  } catch (err) {
    stream.log.error({ err, jid: full.toString() }, 'session registry bind failed');
    return { ok: false, condition: 'internal-server-error', type: 'wait' };
  }
  if (stream.state !== 'authenticated') {
    // Closed while binding: take the record back so it does not outlive the connection.
    if (outcome.ok) await ctx.registry.remove(full.toString(), stream.sessionId).catch(() => undefined);
    return { ok: false };
  }
  if (!outcome.ok) return { ok: false, condition: 'conflict', type: 'cancel' };
  if (overCap(ctx, full, stream.sessionId)) {
    // Another edge bound at the same moment and both got past the first check: the later loses.
    await ctx.registry.remove(full.toString(), stream.sessionId).catch(() => undefined);
    return stream.state === 'authenticated' ? refuseOverCap(ctx, stream) : { ok: false };
  }
  const old = outcome.replaced;
  if (old && old.sessionId !== stream.sessionId) {
    ctx.bus.publish(
      subjects.edgeControl(old.edgeId),
      encodeFrame({ control: { kind: 'CLOSE_SESSION', sessionId: old.sessionId, condition: 'conflict', text: 'replaced by a new connection' } }),
    );
  }
  return { ok: true, full };
}

/**
 * After the answer is written: the stream is bound and stanzas flow. Nobody else is told: the
 * registry record is the binding, and the services act on the session's initial presence (presence)
 * and its end (ENDED). Until 2026-12 a BOUND event went to presence here, which did nothing with it:
 * a bus request per login (two NATS messages and a wake-up of presence in a cluster).
 */
export function bound(stream: C2sStream, full: Jid): void {
  boundResources.set(stream, full);
  stream.boundTo(full);
  stream.log.info({ jid: full.toString() }, 'bound');
}

/**
 * edge.maxSessionsPerAccount: before binding, whether the account already holds the maximum of
 * other resources (rebinding a bound resource replaces it, so it does not count); after binding
 * (`own` set), whether this session is past the maximum in bind order (concurrent binds: the latest
 * lose; across edges only as exact as the registry's watched cache, docs/security.md). Both read
 * the watched cache only: the check after binding is the one that holds, and reading the store
 * before it (a user's first resource: the cache knows none) cost a bus round trip per login.
 */
function overCap(ctx: EdgeContext, full: Jid, own?: string): boolean {
  const max = ctx.config.edge.maxSessionsPerAccount;
  const sessions = ctx.registry.ofUserCached(full.bare().toString());
  if (own === undefined) return sessions.filter((s) => s.jid !== full.toString()).length >= max;
  if (sessions.length <= max) return false;
  const order = [...sessions].sort((a, b) => a.boundAtMs - b.boundAtMs || a.sessionId.localeCompare(b.sessionId));
  return order.findIndex((s) => s.sessionId === own) >= max;
}

/** RFC 6120 §7.6.2.1: the account reached its limit of simultaneously connected resources. */
function refuseOverCap(ctx: EdgeContext, stream: C2sStream): BindOutcome {
  stream.log.info({ jid: stream.jid?.toString(), max: ctx.config.edge.maxSessionsPerAccount }, 'bind refused: too many sessions');
  return { ok: false, condition: 'resource-constraint', type: 'wait', text: `at most ${ctx.config.edge.maxSessionsPerAccount} sessions per account` };
}
