import { continueSpan, decodeFrame, encodeAck, encodeFrame, partitionOf, requestRetrying, subjects, SESSION_GONE, type BusMessage, type StanzaEnvelope } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { delayElement } from '#libs/stanza';
import { parseElement, reparseLimits } from '#libs/xml';
import type { EdgeContext } from '../edge.context.js';
import type { Settle, UnwrittenReason } from '../stream/outgoing.js';

/**
 * Stanzas a router or presence chose this edge for (docs/architecture.md step 3): handed to the
 * session's stream without parsing (`stream.deliver`, which runs `stanza-out` and writes).
 *
 * A delivery sent as a request is acknowledged once the stream took the stanza (docs/reliability.md):
 * refused (`session-gone`) when the session is not here or its stream is ending — the router still
 * owns the stanza and routes it again. A stanza the stream took but never wrote (outcome
 * `unwritten`: the client was cut for not reading, the connection broke) is the edge's by then: it
 * goes back to a router one hop further, routed as to a vanished full JID (another resource,
 * offline storage, an error for an IQ), counted in one log line per stream. A fire-and-forget
 * delivery (an older sender) for a session not here goes back the same way. A delivery marked
 * `ackWhenWritten` (offline flush) is acknowledged once written instead, and refused if it never
 * is: its sender still holds it.
 */
export function deliverer(ctx: EdgeContext): (msg: BusMessage) => void {
  /** The delivery in progress, to tell an outcome known at once from one that comes later. */
  let current: StanzaEnvelope | undefined;
  let refusedNow = false;
  /** Deliveries asked to be acknowledged once written (`ackWhenWritten`), until their outcome. */
  const whenWritten = new Map<StanzaEnvelope, BusMessage>();
  // One outcome callback for every delivery (the envelope comes back with the outcome): no closure per stanza.
  const settle: Settle<StanzaEnvelope> = (outcome, stanza) => {
    const waiting = whenWritten.get(stanza);
    if (waiting) {
      // Held (CSI, later SM) counts as taken: the stream keeps it, and settles it unwritten if it must.
      whenWritten.delete(stanza);
      if (outcome.kind !== 'unwritten') return waiting.respond(ACK_TAKEN);
      if (stanza !== current) return waiting.respond(ACK_SESSION_GONE);
    }
    if (outcome.kind !== 'unwritten') return;
    if (stanza === current) refusedNow = true;
    else unwritten(ctx, stanza, outcome.reason);
  };
  return (msg) => {
    const frame = decodeFrame(msg.data);
    const stanza = frame.stanza;
    if (!stanza) return;
    const stream = stanza.target ? ctx.sessions.get(stanza.target.sessionId) : undefined;
    let taken = false;
    if (stream && stream.state === 'bound') {
      const span = continueSpan('glider-edge', 'edge.deliver', stanza);
      current = stanza;
      refusedNow = false;
      const deferred = stanza.ackWhenWritten === true && msg.replyExpected;
      if (deferred) whenWritten.set(stanza, msg);
      stream.deliver(stanza.xml, settle, stanza);
      current = undefined;
      taken = !refusedNow;
      span.end();
      if (deferred && taken) return; // answered by settle, once written (it may have been already)
      whenWritten.delete(stanza);
    }
    if (msg.replyExpected) msg.respond(taken ? ACK_TAKEN : ACK_SESSION_GONE);
    else if (!taken) redirect(ctx, stanza);
  };
}

const ACK_TAKEN = encodeAck({ taken: true });
const ACK_SESSION_GONE = encodeAck({ taken: false, error: SESSION_GONE });

/** What streams did not write, by reason, until logged (once per burst: a cut settles many at once). */
let tally: { messages: number; iqs: number; presence: number; reasons: Record<string, number> } | undefined;

function unwritten(ctx: EdgeContext, stanza: StanzaEnvelope, reason: UnwrittenReason): void {
  if (!tally) {
    const t = (tally = { messages: 0, iqs: 0, presence: 0, reasons: {} });
    setImmediate(() => {
      tally = undefined;
      ctx.logger.warn({ reroutedMessages: t.messages, reroutedIqs: t.iqs, droppedPresence: t.presence, reasons: t.reasons }, 'delivered stanzas a stream never wrote; messages and IQs routed again');
    });
  }
  tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
  // Presence to a gone session is not redone (RFC 6121 §8.5.3.2.2); the roster holds subscription state.
  if (stanza.kind === 'PRESENCE') {
    tally.presence++;
    return;
  }
  if (stanza.kind === 'IQ') tally.iqs++;
  else tally.messages++;
  redirect(ctx, stanza);
}

function redirect(ctx: EdgeContext, stanza: StanzaEnvelope): void {
  const bare = tryParseJid(stanza.to)?.bare().toString() ?? stanza.to;
  const back: StanzaEnvelope = { ...stanza, xml: Buffer.from(stanza.xml), hops: (stanza.hops ?? 0) + 1 };
  delete back.target;
  const subject = subjects.routerIn(partitionOf(bare, ctx.config.bus.partitions));
  requestRetrying(ctx.bus, subject, encodeFrame({ stanza: back }), { timeoutMs: ctx.config.edge.routeTimeoutMs }).catch((err: unknown) => {
    ctx.logger.warn({ err: (err as Error).message, to: stanza.to }, 'no router took back a stanza for a vanished session; storing it offline');
    void storeAsLastResort(ctx, back, bare);
  });
}

/**
 * No router answers and the session is gone: a chat or normal message goes to the recipient's
 * offline store (XEP-0160, with its XEP-0203 delay) rather than nowhere. Anything else was
 * never stored for an offline user anyway (RFC 6121 §8.5.2.2).
 */
async function storeAsLastResort(ctx: EdgeContext, stanza: StanzaEnvelope, bare: string): Promise<void> {
  const storable = stanza.kind === 'MESSAGE' && (stanza.type === '' || stanza.type === 'chat' || stanza.type === 'normal');
  const log = { to: stanza.to, stanzaId: stanza.id };
  if (!storable) return ctx.logger.warn(log, 'stanza for a vanished session dropped: no router, and it is not a message to store');
  try {
    const el = parseElement(Buffer.from(stanza.xml).toString('utf8'), reparseLimits(ctx.config.edge.limits));
    el.append(delayElement(tryParseJid(bare)?.domain ?? ctx.config.domains[0]!, new Date()));
    await ctx.storage.offline.push(bare, el.toString(), ctx.config.router.offlineMaxPerUser);
  } catch (err) {
    ctx.logger.error({ ...log, err: (err as Error).message }, 'LOST: a message for a vanished session could be neither routed nor stored');
  }
}
