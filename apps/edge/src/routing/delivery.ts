import { continueSpan, decodeFrame, encodeAck, encodeFrame, partitionOf, requestRetrying, subjects, type BusMessage, type StanzaEnvelope } from '#libs/bus';
import { tryParseJid } from '#libs/jid';
import { delayElement } from '#libs/stanza';
import { parseElement, reparseLimits } from '#libs/xml';
import type { EdgeContext } from '../edge.context.js';
import type { Settle } from '../stream/outgoing.js';

/**
 * Stanzas the router chose this edge for (docs/architecture.md step 3): handed to the session's
 * stream without parsing (`stream.deliver`, which runs `stanza-out` and writes). A session gone
 * meanwhile, or a stream that closed or cut its client before writing the stanza (outcome
 * `unwritten`), sends the stanza back to the router, one hop further, to be re-routed as to a
 * vanished full JID.
 */
export function deliverer(ctx: EdgeContext): (msg: BusMessage) => void {
  // One outcome callback for every delivery (the envelope comes back with the outcome): no closure per stanza.
  const settle: Settle<StanzaEnvelope> = (outcome, stanza) => {
    if (outcome.kind === 'unwritten') redirect(ctx, stanza);
  };
  return (msg) => {
    const frame = decodeFrame(msg.data);
    const stanza = frame.stanza;
    if (!stanza) return;
    const stream = stanza.target ? ctx.sessions.get(stanza.target.sessionId) : undefined;
    if (stream && stream.state === 'bound') {
      const span = continueSpan('glider-edge', 'edge.deliver', stanza);
      stream.deliver(stanza.xml, settle, stanza);
      span.end();
    } else {
      redirect(ctx, stanza);
    }
    if (msg.replyExpected) msg.respond(encodeAck({ taken: true }));
  };
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
    await ctx.storage.offline.push(bare, el.toString(), { messages: ctx.config.router.offlineMaxPerUser, bytes: ctx.config.router.offlineMaxBytesPerUser });
  } catch (err) {
    ctx.logger.error({ ...log, err: (err as Error).message }, 'LOST: a message for a vanished session could be neither routed nor stored');
  }
}
