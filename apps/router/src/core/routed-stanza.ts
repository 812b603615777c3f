import type { StanzaEnvelope } from '#libs/bus';
import type { Jid } from '#libs/jid';
import type { Element } from '#libs/xml';

export type StanzaName = 'message' | 'presence' | 'iq';

const NAMES: Record<string, StanzaName> = { MESSAGE: 'message', PRESENCE: 'presence', IQ: 'iq' };

/**
 * A stanza in the router: the envelope's routing fields, parsed JIDs, and the XML parsed only when a
 * step needs the payload (plain forwarding never parses).
 */
export class RoutedStanza {
  private parsed: Element | undefined;

  constructor(
    readonly env: StanzaEnvelope,
    readonly from: Jid,
    /** As addressed; the sender's bare JID when the stanza had no `to` (RFC 6120 §10.3). */
    readonly to: Jid,
    private readonly parse: (xml: Uint8Array) => Element,
  ) {}

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

  element(): Element {
    this.parsed ??= this.parse(this.env.xml);
    return this.parsed;
  }
}
