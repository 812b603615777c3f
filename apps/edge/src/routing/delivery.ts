import { continueSpan, decodeFrame, encodeAck, encodeFrame, partitionOf, requestRetrying, subjects, type BusMessage, type StanzaEnvelope } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import type { EdgeContext } from '../edge.context.js';

/**
 * Stanzas the router chose this edge for (docs/architecture.md step 3): written to the session's
 * socket without parsing. A session gone meanwhile sends the stanza back to the router, one hop
 * further, to be re-routed as to a vanished full JID.
 */
export function deliver(ctx: EdgeContext, msg: BusMessage): void {
  const frame = decodeFrame(msg.data);
  const stanza = frame.stanza;
  if (!stanza) return;
  const stream = stanza.target ? ctx.sessions.get(stanza.target.sessionId) : undefined;
  if (stream && stream.state === 'bound') {
    const span = continueSpan('glider-edge', 'edge.deliver', stanza);
    stream.sendRaw(stanza.xml);
    span.end();
    if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
    return;
  }
  redirect(ctx, stanza);
  if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
}

function redirect(ctx: EdgeContext, stanza: StanzaEnvelope): void {
  const bare = tryParseJid(stanza.to)?.bare().toString() ?? stanza.to;
  const back: StanzaEnvelope = { ...stanza, xml: Buffer.from(stanza.xml), hops: (stanza.hops ?? 0) + 1 };
  delete back.target;
  const subject = subjects.routerIn(partitionOf(bare, ctx.config.bus.partitions));
  requestRetrying(ctx.bus, subject, encodeFrame({ stanza: back }), { timeoutMs: ctx.config.edge.routeTimeoutMs }).catch((err: unknown) => {
    ctx.logger.warn({ err: (err as Error).message, to: stanza.to }, 'could not hand a stanza for a vanished session back to the router');
  });
}
