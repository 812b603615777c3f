import type { DeliveryOutcome, StanzaEnvelope } from '#libs/bus';
import type { SessionInfo } from '#libs/sessions';
import type { Jid } from '#libs/jid';
import type { Element } from '#libs/xml';

export type StanzaName = 'message' | 'presence' | 'iq';

/** One acknowledged delivery of a stanza to a session (core/acked-delivery.ts). */
export interface PendingDelivery {
  session: SessionInfo;
  outcome: Promise<DeliveryOutcome>;
}

const NAMES: Record<string, StanzaName> = { MESSAGE: 'message', PRESENCE: 'presence', IQ: 'iq' };

/** The UTF-8 bytes of the few namespaces `mayHold` is asked about, made once each. */
const needles = new Map<string, Buffer>();
const needleOf = (ns: string): Buffer => {
  let b = needles.get(ns);
  if (!b) needles.set(ns, (b = Buffer.from(ns, 'utf8')));
  return b;
};

/**
 * A stanza in the router: the envelope's routing fields, parsed JIDs, and the XML parsed only when a
 * step needs the payload (plain forwarding never parses).
 */
export class RoutedStanza {
  private parsed: Element | undefined;
  /** Deliveries awaiting the edge's acknowledgement; the sender's Ack waits for them. */
  readonly deliveries: PendingDelivery[] = [];
  /**
   * Copies made from it (XEP-0280 carbons), acknowledged by their edges like deliveries, but a copy
   * that is not taken is dropped, never routed again; the sender's Ack waits for them too, so the
   * copies of a session's messages reach the other resources in order.
   */
  readonly copies: Promise<DeliveryOutcome>[] = [];
  /**
   * Writes made for it beside its delivery (XEP-0313 archive appends): they never hold up the
   * delivery, but the sender's Ack waits for them, so a session's messages are archived in order.
   * They never reject (their failures are logged and counted where they are made).
   */
  readonly writes: Promise<void>[] = [];
  /**
   * The message as its sender's archive keeps it (with the sender's XEP-0359 `<stanza-id/>`), set
   * by the archive before the sent carbons (XEP-0280 §7) are made from it, so the sender's other
   * resources learn the id their own archive has for it. Undefined: copies are of the message.
   */
  senderCopy: Element | undefined;
  /**
   * Handed to another service (a room, presence, s2s) on its sender's service lane: settles once
   * that service took it or it was bounced; the sender's Ack waits for it. Rejects only for
   * presence the service did not take (the frame fails, as a routing step that throws).
   */
  forwarded: Promise<void> | undefined;

  constructor(
    readonly env: StanzaEnvelope,
    readonly from: Jid,
    /** As addressed; the sender's bare JID when the stanza had no `to` (RFC 6120 §10.3). */
    readonly to: Jid,
    private readonly parse: (xml: Uint8Array) => Element,
    /** Sessions that already failed to take this stanza: routing it again skips them. */
    readonly failed: ReadonlySet<string> = new Set(),
  ) {}

  /** A session this stanza may still go to (not one that failed to take it before). */
  mayGoTo(session: SessionInfo): boolean {
    return !this.failed.has(session.sessionId);
  }

  get name(): StanzaName | undefined {
    return NAMES[this.env.kind];
  }

  /** The stanza type as sent ('' when absent). */
  get type(): string {
    return this.env.type;
  }

  get hops(): number {
    return this.env.hops ?? 0;
  }

  /**
   * False when the stanza holds nothing in namespace `ns`: its bytes do not contain it. Envelopes
   * are libs/xml's serialisation (envelopeOf), which writes a namespace name verbatim wherever it
   * is declared unless it has one of `& < > "`, which no namespace this is asked about has. A step
   * that looks for one payload asks this before parsing the whole stanza to find it.
   */
  mayHold(ns: string): boolean {
    const xml = this.env.xml;
    const bytes = Buffer.isBuffer(xml) ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
    return bytes.includes(needleOf(ns));
  }

  element(): Element {
    this.parsed ??= this.parse(this.env.xml);
    return this.parsed;
  }
}
