import { BusNoRespondersError, BusTimeoutError, decodeAck, encodeFrame, envelopeOf, partitionOf, producerSpan, requestRetrying, subjects } from '#libs/bus';
import { SpanStatusCode } from '@opentelemetry/api';
import { tryParseJid } from '#libs/jid';
import type { Element } from '#libs/xml';
import { routingDuration } from '../edge.metrics.js';
import type { C2sStream } from '../stream/c2s-stream.machine.js';
import { errorReply, NS, type StanzaErrorCondition } from '#libs/stanza';

/**
 * A bound client's stanza to the router (docs/architecture.md, stanza path step 1): check `to`,
 * stamp `from`, serialise once, request to the sender's partition. Resolves once the router has
 * taken it (or it was bounced): the stream sends a session's next stanza only then, so a session's
 * stanzas keep their order even while a partition moves to another router (DESIGN.md, the bus).
 */
export function routeFromClient(stream: C2sStream, el: Element): Promise<void> {
  const full = stream.jid!;
  const { config, bus, edgeId } = stream.ctx;
  const claimed = el.attrs.from;
  if (claimed !== undefined) {
    const j = tryParseJid(claimed);
    // RFC 6120 §8.1.2.1: the client may state its full JID or its bare JID, nothing else.
    const ok = j && (j.equals(full) || (!j.resource && j.equals(full.bare())));
    if (!ok) return Promise.resolve(stream.error('invalid-from', 'the from address is not this session'));
  }
  el.attrs.from = full.toString();
  let to = '';
  if (el.attrs.to !== undefined) {
    const target = tryParseJid(el.attrs.to);
    if (!target) {
      const reply = errorReply(el, 'jid-malformed', { type: 'modify' })?.setAttr('from', stream.domain).setAttr('to', full.toString());
      if (reply) stream.send(reply);
      return Promise.resolve();
    }
    to = target.toString();
    el.attrs.to = to;
  }
  if (el.attrs.xmlns === NS.client) delete el.attrs.xmlns;
  // RFC 6120 §4.7.4: the stream's language goes with a stanza that states none.
  if (el.attrs['xml:lang'] === undefined && stream.langStated) el.attrs['xml:lang'] = stream.lang;
  const started = performance.now();
  const { span, carrier } = producerSpan('glider-edge', 'edge.route', { 'xmpp.stanza': el.name });
  const frame = encodeFrame({ stanza: envelopeOf(el, { origin: { edgeId, sessionId: stream.sessionId }, ...carrier }) });
  const subject = subjects.routerIn(partitionOf(full.bare().toString(), config.bus.partitions));
  // Retried while a partition changes owner (a router scaling or restarting), so such a moment
  // bounces nothing; a stanza is bounced only when no router takes it within routeTimeoutMs.
  return requestRetrying(bus, subject, frame, { timeoutMs: config.edge.routeTimeoutMs }).then(
    (reply) => {
      span.end();
      routingDuration[el.name]?.since(started);
      const ack = decodeAck(reply);
      if (!ack.taken) bounce(stream, el, 'internal-server-error', ack.error);
    },
    (err: unknown) => {
      routingDuration[el.name]?.since(started); // bounced: the sender waited this long too
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      span.end();
      stream.log.warn({ err: (err as Error).message, stanzaId: el.attrs.id }, 'router did not take a stanza; bounced');
      bounce(
        stream,
        el,
        err instanceof BusTimeoutError ? 'remote-server-timeout' : 'internal-server-error',
        err instanceof BusNoRespondersError ? 'no router is available' : undefined,
      );
    },
  );
}

/** No silent loss: the sender learns its stanza was not taken. Presence is dropped (RFC 6121 never errors it back here). */
function bounce(stream: C2sStream, el: Element, condition: StanzaErrorCondition, text?: string): void {
  if (el.name === 'presence') return;
  const reply = errorReply(el, condition, { type: 'wait', text })
    ?.setAttr('from', el.attrs.to || stream.domain)
    .setAttr('to', stream.jid!.toString());
  if (reply) stream.send(reply);
}
