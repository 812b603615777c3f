import { Delivery, decodeAck, encodeFrame, envelopeOf, subjects, type Bus, type SessionTarget, type StanzaEnvelope } from '#libs/bus';
import type { Element } from '#libs/xml';

/**
 * Delivery as the delivery-acks work makes it (DESIGN.md "Deliveries are acknowledged too"): a
 * request to the edge that resolves once the edge acknowledged it. Edges already answer a delivery
 * sent with request(). Tests use it to check what must wait for those acks.
 */
export class AckedDelivery extends Delivery {
  constructor(
    private readonly busRef: Bus,
    private readonly timeoutMs: number,
  ) {
    super(busRef);
  }

  override async toSession(env: StanzaEnvelope, s: SessionTarget): Promise<void> {
    const stanza: StanzaEnvelope = { ...env, target: { edgeId: s.edgeId, sessionId: s.sessionId } };
    const ack = decodeAck(await this.busRef.request(subjects.edgeDeliver(s.edgeId), encodeFrame({ stanza }), { timeoutMs: this.timeoutMs }));
    if (!ack.taken) throw new Error(`edge did not take the delivery: ${ack.error ?? 'no reason'}`);
  }

  override element(el: Element, s: SessionTarget): Promise<void> {
    return this.toSession(envelopeOf(el), s);
  }
}
