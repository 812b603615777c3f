import { continueSpan, decodeFrame, encodeAck, encodeFrame, partitionOf, requestRetrying, subjects, SESSION_GONE, type BusMessage, type StanzaEnvelope } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { delayElement } from '#libs/stanza';
import { parseElement, reparseLimits } from '#libs/xml';
import type { EdgeContext } from '../edge.context.js';
import type { C2sStream } from '../stream/c2s-stream.machine.js';

/**
 * Stanzas the router chose this edge for (docs/architecture.md step 3): written to the session's
 * socket without parsing. A delivery the router asked to acknowledge (a request) is answered once the
 * stanza is handed to the connection, or refused (`session-gone`) when the session is not here or
 * its stream is ending: the router owns the stanza until then and routes it again (docs/reliability.md).
 * A fire-and-forget delivery (presence) for a session gone meanwhile goes back to the router, one hop
 * further, to be re-routed as to a vanished full JID.
 */
export function deliver(ctx: EdgeContext, msg: BusMessage): void {
  const frame = decodeFrame(msg.data);
  const stanza = frame.stanza;
  if (!stanza) return;
  const stream = stanza.target ? ctx.sessions.get(stanza.target.sessionId) : undefined;
  if (stream && stream.state === 'bound') {
    const span = continueSpan('glider-edge', 'edge.deliver', stanza);
    stream.sendRaw(stanza.xml, (err) => {
      if (err) unwritten(ctx, stream, stanza);
    });
    span.end();
    if (msg.replyExpected) msg.respond(ACK_TAKEN);
    return;
  }
  if (msg.replyExpected) return msg.respond(ACK_SESSION_GONE);
  redirect(ctx, stanza);
}

const ACK_TAKEN = encodeAck({ taken: true });
const ACK_SESSION_GONE = encodeAck({ taken: false, error: SESSION_GONE });

/** What a cut stream had not written, per stream, until it is logged (once, after the cut). */
const cutTallies = new WeakMap<C2sStream, { messages: number; iqs: number; presence: number }>();

/**
 * A delivered stanza the connection never wrote: the stream was cut first (a client that stopped
 * reading and passed edge.limits.maxWriteBufferBytes, a connection that broke). The edge took it, so
 * the edge routes it again: messages by the RFC 6121 rules (another resource, offline storage),
 * IQs answered with an error by the router; presence to a gone session is not redone (RFC 6121
 * §8.5.3.2.2). How much went where is logged once per stream.
 */
function unwritten(ctx: EdgeContext, stream: C2sStream, stanza: StanzaEnvelope): void {
  let tally = cutTallies.get(stream);
  if (!tally) {
    const t = { messages: 0, iqs: 0, presence: 0 };
    cutTallies.set(stream, (tally = t));
    setImmediate(() => {
      cutTallies.delete(stream);
      stream.log.warn({ reroutedMessages: t.messages, reroutedIqs: t.iqs, droppedPresence: t.presence }, 'stream cut with stanzas not written; messages and IQs routed again');
    });
  }
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
