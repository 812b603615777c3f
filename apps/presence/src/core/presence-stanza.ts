import type { StanzaEnvelope } from '#libs/bus';
import type { Jid } from '#libs/jid';
import type { Element } from '#libs/xml';

/** A stanza in the presence service: routing fields, parsed JIDs, the XML parsed on first use. */
export class PresenceStanza {
  private parsed: Element | undefined;

  constructor(
    readonly env: StanzaEnvelope,
    readonly from: Jid,
    /** undefined when the stanza had no `to` (a broadcast, or an IQ to the sender's own account). */
    readonly to: Jid | undefined,
    private readonly parse: (xml: Uint8Array) => Element,
    parsed?: Element,
  ) {
    this.parsed = parsed;
  }

  /** The stanza type; presence without one is 'available' (RFC 6121 §4.7.1). */
  get type(): string {
    return this.env.type || (this.env.kind === 'PRESENCE' ? 'available' : '');
  }

  element(): Element {
    this.parsed ??= this.parse(this.env.xml);
    return this.parsed;
  }
}
