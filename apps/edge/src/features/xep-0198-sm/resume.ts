import { BusNoRespondersError, BusTimeoutError, KvConflictError, encodeFrame, subjects } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { bareOf, sessionFlags, type ResumableRecord, type SessionInfo } from '#libs/sessions';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { fromWire, parseH, toWire } from './sm-counter.js';
import { failed, NS_SM } from './sm-nonzas.js';
import { SmSession, type SmDeps } from './sm-session.js';
import { resumableKeys } from '../../routing/delivery.js';

/** Tries to take a session's record when it moves on meanwhile (compare-and-set conflicts). */
const RESUME_ATTEMPTS = 3;

const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a resume registers: the session by stream, and by id (for release requests). */
export interface SmTables {
  readonly byStream: WeakMap<C2sStream, SmSession>;
  readonly byId: Map<string, SmSession>;
}

/** What the edge that held a session answers when asked to let go of it (subjects.edgeSm). */
export interface ReleaseAnswer {
  released: boolean;
  /** Its inbound count when it let go (a resume reports the larger of this and the stored one). */
  inH?: number;
}

/**
 * XEP-0198 §5 on any edge. The record in the store is taken over by compare-and-set (exactly one
 * resume wins), the edge that held the session is asked to let go (it closes its stream with
 * <conflict/>, finishes its stores and answers; a dead edge has no responders, a stalled one is
 * waited for edge.sm.takeoverTimeoutMs), the registry record is pointed here, `<resumed/>` is sent
 * and the queue replayed in the order it was stored: unacknowledged stanzas, then those held while
 * detached, then what arrived during the resume.
 */
export async function resumeSession(
  ctx: EdgeContext,
  deps: SmDeps,
  tables: SmTables,
  stream: C2sStream,
  attrs: Record<string, string>,
  /** Where <resumed/> or <failed/> goes: the stream, or SASL2's <success/> (XEP-0388 inline; it is written before the replay). */
  answer: (el: Element) => void | Promise<void> = (el) => stream.send(el),
): Promise<void> {
  if (stream.state !== 'authenticated' || !stream.jid) {
    return answer(failed('unexpected-request', { text: 'resume after authentication and before binding a resource' }));
  }
  const previd = attrs.previd ?? '';
  const h = parseH(attrs.h);
  if (h === undefined) return answer(failed('bad-request', { text: "<resume/> needs an 'h' between 0 and 2^32-1" }));
  let cur = SESSION_ID.test(previd) ? await deps.store.get(previd) : undefined;
  let prev: ResumableRecord;
  let acked: number;
  let revision: number;
  // The record may move on between reading and taking it: the dead-edge sweep detaching it (the
  // usual case right after an edge died), a detach, another resume. Read again and retry a few
  // times; what is ended or another user's is refused as unknown.
  for (let attempt = 1; ; attempt++) {
    // Another user's session id is as unknown as an expired one (nothing said about it).
    if (!cur || cur.record.state === 'ending' || bareOf(cur.record.jid) !== stream.jid.bare().toString()) {
      return answer(failed('item-not-found', { text: 'no session to resume (unknown, or timed out)' }));
    }
    prev = cur.record;
    // §5 / handled-count-too-high is decided before anything changes: the queue only grows.
    acked = fromWire(h, prev.acked);
    const sentBefore = Math.max(prev.sent, ...(await deps.store.items(previd)).map((i) => i.item.n ?? 0));
    if (acked > sentBefore) {
      return answer(
        failed('undefined-condition', { h: prev.inH, tooHigh: { h, sent: sentBefore }, text: 'the client acknowledged more stanzas than were sent' }),
      );
    }
    const mine: ResumableRecord = { ...prev, state: 'attached', edgeId: ctx.edgeId, expiresAtMs: 0, acked, sent: acked };
    try {
      revision = await deps.store.update(previd, mine, cur.revision);
      break;
    } catch (err) {
      if (!(err instanceof KvConflictError)) throw err;
      if (attempt >= RESUME_ATTEMPTS) return answer(failed('item-not-found', { text: 'the session was resumed or ended meanwhile' }));
      cur = await deps.store.get(previd);
    }
  }
  const mine: ResumableRecord = { ...prev, state: 'attached', edgeId: ctx.edgeId, expiresAtMs: 0, acked, sent: acked };
  // The session is here from now on: deliveries are taken (held until the replay is done), so a
  // router that finds the record names this edge can hand them over at once.
  const local = tables.byId.get(previd); // a stream of this edge still holding it (a half-open connection)
  const sm = new SmSession(stream, deps, previd, mine, revision, true);
  sm.startReplay();
  tables.byStream.set(stream, sm);
  tables.byId.set(previd, sm);
  stream.interceptOut(true);
  stream.resumeAs(previd, tryParseJid(prev.jid)!);
  stream.resumable = true;
  let inH = prev.inH;
  if (local) {
    local.fence();
    await local.settled();
    inH = Math.max(inH, local.inH);
  } else if (prev.state === 'attached' && prev.edgeId !== ctx.edgeId) {
    inH = Math.max(inH, (await askRelease(ctx, deps, prev.edgeId, previd))?.inH ?? 0);
  }
  sm.setInH(inH);
  await deps.store.unmarkDetached(previd).catch(() => undefined);
  const items = await deps.store.items(previd);
  await pointRegistryHere(ctx, stream, prev, previd);
  await answer(xml('resumed', { xmlns: NS_SM, previd, h: String(toWire(inH)) }));
  const seen = new Set<string>();
  const taken = resumableKeys(ctx);
  for (let round = 0; round < 2; round++) {
    // A second look finds what a router appended while the first was replayed.
    const list = round === 0 ? items : await deps.store.items(previd);
    for (const { key, item, revision } of list) {
      if (seen.has(key)) continue;
      seen.add(key);
      // A stanza is in the queue twice when its router routed it again after the edge that stored
      // it died before acknowledging it (the second copy held here by a router), or the session
      // took it already since the resume began: one copy is replayed, once.
      const repeat = item.sk !== undefined && !taken.first(stream, item.sk);
      if (repeat || (item.n !== undefined && item.n <= acked)) {
        void deps.store.deleteItem(key).catch(() => undefined);
        continue;
      }
      const n = sm.sent + 1;
      // Numbered again in replay order, so the count stays the client's even if a number was skipped.
      let [k, rev] = [key, revision];
      if (item.n !== n) {
        // A held item joins the numbered queue (trimmed by acks); a crash in between replays it twice, never loses it.
        k = key.startsWith('h.') ? `q.${key.slice(2)}` : key;
        rev = (await deps.store.putItem(previd, { ...item, n }, k)).revision;
        if (k !== key) {
          seen.add(k); // the second round finds it under its new key
          void deps.store.deleteItem(key).catch(() => undefined);
        }
      }
      sm.replay(n, k, rev, item.x);
    }
  }
  sm.endReplay();
  stream.log.info({ replayed: seen.size, from: prev.edgeId, state: prev.state }, 'session resumed');
}

/** Asks the edge that held the session to let go; undefined when it is dead or does not answer in time. */
async function askRelease(ctx: EdgeContext, deps: SmDeps, edgeId: string, id: string): Promise<ReleaseAnswer | undefined> {
  try {
    const reply = await ctx.bus.request(subjects.edgeSm(edgeId), Buffer.from(JSON.stringify({ id })), { timeoutMs: deps.config.takeoverTimeoutMs });
    return JSON.parse(Buffer.from(reply).toString('utf8')) as ReleaseAnswer;
  } catch (err) {
    if (err instanceof BusTimeoutError) ctx.logger.warn({ edgeId, sid: id }, 'the edge that held a resumed session did not let go in time; going on');
    else if (!(err instanceof BusNoRespondersError)) throw err;
    return undefined;
  }
}

/**
 * The registry record now names this edge (presence fields kept); a session that took the resource
 * meanwhile is closed. If the record is gone or another session's, it is made again with the
 * carbons and blocklist flags the resumable record kept (presence is not: the client sends it again).
 */
async function pointRegistryHere(ctx: EdgeContext, stream: C2sStream, prev: ResumableRecord, id: string): Promise<void> {
  const jid = prev.jid;
  const existing = await ctx.registry.get(jid);
  const info: SessionInfo =
    existing?.sessionId === id
      ? { ...existing, edgeId: ctx.edgeId }
      : { jid, edgeId: ctx.edgeId, sessionId: id, priority: 0, available: false, interested: false, boundAtMs: Date.now(), ...sessionFlags(prev) };
  const outcome = await ctx.registry.bind(info, 'replace');
  const other = outcome.replaced;
  if (other && other.sessionId !== id) {
    stream.log.info({ replaced: other.sessionId }, 'a resume replaced a session bound to the same resource meanwhile');
    ctx.bus.publish(subjects.edgeControl(other.edgeId), encodeFrame({ control: { kind: 'CLOSE_SESSION', sessionId: other.sessionId, condition: 'conflict' } }));
  }
}
