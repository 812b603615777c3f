import { randomBytes } from 'node:crypto';
import { xml, type Element } from '#libs/xml';
import { JINGLE_NS } from './namespaces.js';
import { rtpFromJingle, rtpToJingle } from './rtp-description.codec.js';
import { SdpError, type Direction, type MediaSection, type SessionDescription } from './session-description.js';
import { transportFromJingle, transportToJingle } from './jingle-transport.codec.js';

export type JingleRole = 'initiator' | 'responder';
type Senders = 'both' | 'initiator' | 'responder' | 'none';

export interface ToJingleOptions {
  /** Who wrote this SDP: the `senders` of each content is seen from the session, not the author. */
  author: JingleRole;
  /**
   * The application `<description/>` of a data-channel content: XEP-0343 signals only the
   * transport, the application (e.g. XEP-0234 file transfer) describes itself.
   */
  applicationDescription?: (m: MediaSection) => Element;
}

/**
 * An SDP offer or answer as the `<content/>` elements of a Jingle session-initiate or
 * session-accept (XEP-0166 §7.3; content `name` = the m-line's `a=mid`, so trickled candidates
 * find their content by `sdpMid`), and `a=group:BUNDLE` as XEP-0338 `<group/>`.
 */
export function sdpToJingle(desc: SessionDescription, opts: ToJingleOptions): Element[] {
  const newId = () => randomBytes(6).toString('hex');
  const out: Element[] = [];
  for (const m of desc.media) {
    const content = xml('content', { creator: 'initiator', name: m.mid, senders: sendersOf(m.direction, opts.author) });
    if (m.rtp) content.append(rtpToJingle(m.kind as 'audio' | 'video', m.rtp));
    else if (opts.applicationDescription) content.append(opts.applicationDescription(m));
    content.append(transportToJingle(m, newId));
    out.push(content);
  }
  for (const g of desc.groups) out.push(xml('group', { xmlns: JINGLE_NS.grouping, semantics: g.semantics }, ...g.mids.map((name) => xml('content', { name }))));
  return out;
}

/** The `<jingle/>` of a session-initiate or session-accept back to SDP (see `writeSdp`). */
export function jingleToSdp(jingle: Element, author: JingleRole): SessionDescription {
  if (jingle.attr('xmlns') !== JINGLE_NS.jingle) throw new SdpError(`not a Jingle element (${jingle.attr('xmlns') ?? 'no namespace'})`);
  const desc: SessionDescription = { groups: [], media: [] };
  for (const g of jingle.getChildren('group', JINGLE_NS.grouping)) {
    desc.groups.push({ semantics: g.attr('semantics') ?? 'BUNDLE', mids: g.getChildren('content').map((c) => c.attr('name') ?? '') });
  }
  for (const content of jingle.getChildren('content')) {
    const name = content.attr('name');
    if (!name) throw new SdpError('Jingle <content/> without a name (XEP-0166 §7.3)');
    const transport = content.getChild('transport');
    if (!transport) throw new SdpError(`content "${name}" has no <transport/>`);
    const t = transportFromJingle(transport);
    const direction = directionOf((content.attr('senders') ?? 'both') as Senders, author);
    const rtpDesc = content.getChild('description', JINGLE_NS.rtp);
    let m: MediaSection;
    if (rtpDesc) {
      const { kind, rtp } = rtpFromJingle(rtpDesc);
      m = { mid: name, kind, protocol: t.fingerprint ? 'UDP/TLS/RTP/SAVPF' : 'RTP/AVPF', direction, ...t, rtp };
    } else if (t.sctp) {
      m = { mid: name, kind: 'application', protocol: 'UDP/DTLS/SCTP', direction, ...t };
    } else {
      throw new SdpError(`content "${name}" is neither RTP (XEP-0167) nor a data channel (XEP-0343)`);
    }
    desc.media.push(m);
  }
  if (desc.media.length === 0) throw new SdpError('Jingle element without content');
  return desc;
}

/** XEP-0166 §7.3 `senders`, seen from the session, of an m-line written by `author`. */
export function sendersOf(direction: Direction, author: JingleRole): Senders {
  const other: JingleRole = author === 'initiator' ? 'responder' : 'initiator';
  return ({ sendrecv: 'both', inactive: 'none', sendonly: author, recvonly: other } as const)[direction];
}

export function directionOf(senders: Senders, author: JingleRole): Direction {
  if (senders === 'both') return 'sendrecv';
  if (senders === 'none') return 'inactive';
  if (senders !== 'initiator' && senders !== 'responder') throw new SdpError(`senders "${String(senders)}" is not both, initiator, responder or none`);
  return senders === author ? 'sendonly' : 'recvonly';
}
