import { xml, type Element } from '#libs/xml';
import { toInt } from './candidate.js';
import { JINGLE_NS } from './namespaces.js';
import { SdpError, type Fingerprint, type IceCandidate, type MediaSection } from './session-description.js';

/**
 * XEP-0176 §5 `<transport/>` with its candidates (§5.3 attributes), the XEP-0320 §3 DTLS
 * `<fingerprint hash setup>` (SDP `a=fingerprint` + `a=setup`, RFC 8122) and, for a data channel,
 * XEP-0343 §3.1 `<sctpmap number protocol/>` (`a=sctp-port`). Candidates other than UDP are not
 * signalled: ICE-UDP carries UDP candidates only.
 */
export function transportToJingle(m: Pick<MediaSection, 'ice' | 'fingerprint' | 'candidates' | 'sctp'>, newId: () => string): Element {
  const t = xml('transport', { xmlns: JINGLE_NS.iceUdp, ufrag: m.ice.ufrag, pwd: m.ice.pwd });
  if (m.fingerprint) t.append(xml('fingerprint', { xmlns: JINGLE_NS.dtls, hash: m.fingerprint.hash, setup: m.fingerprint.setup }, m.fingerprint.value));
  if (m.sctp) t.append(xml('sctpmap', { xmlns: JINGLE_NS.sctp, number: String(m.sctp.port), protocol: 'webrtc-datachannel' }));
  for (const c of m.candidates) if (c.protocol === 'udp') t.append(candidateToJingle(c, newId()));
  return t;
}

export function candidateToJingle(c: IceCandidate, id: string): Element {
  const attrs: Record<string, string> = {
    component: String(c.component),
    foundation: c.foundation,
    generation: String(c.generation),
    id,
    ip: c.ip,
    port: String(c.port),
    priority: String(c.priority),
    protocol: c.protocol,
    type: c.type,
  };
  if (c.network !== undefined) attrs.network = String(c.network);
  if (c.relAddr !== undefined) attrs['rel-addr'] = c.relAddr;
  if (c.relPort !== undefined) attrs['rel-port'] = String(c.relPort);
  return xml('candidate', attrs);
}

export function candidateFromJingle(el: Element): IceCandidate {
  const need = (name: string): string => {
    const v = el.attr(name);
    if (v === undefined) throw new SdpError(`XEP-0176 <candidate/> without "${name}"`);
    return v;
  };
  const type = need('type');
  if (!['host', 'srflx', 'prflx', 'relay'].includes(type)) throw new SdpError(`XEP-0176 candidate type "${type}" is unknown`);
  const c: IceCandidate = {
    foundation: need('foundation'),
    component: toInt(need('component'), 'component', 'candidate'),
    protocol: need('protocol').toLowerCase(),
    priority: toInt(need('priority'), 'priority', 'candidate'),
    ip: need('ip'),
    port: toInt(need('port'), 'port', 'candidate'),
    type: type as IceCandidate['type'],
    generation: toInt(el.attr('generation') ?? '0', 'generation', 'candidate'),
  };
  if (el.attr('network') !== undefined) c.network = toInt(el.attr('network')!, 'network', 'candidate');
  if (el.attr('rel-addr') !== undefined) c.relAddr = el.attr('rel-addr')!;
  if (el.attr('rel-port') !== undefined) c.relPort = toInt(el.attr('rel-port')!, 'rel-port', 'candidate');
  return c;
}

export function transportFromJingle(t: Element): Pick<MediaSection, 'ice' | 'fingerprint' | 'candidates' | 'sctp'> {
  if (t.attr('xmlns') !== JINGLE_NS.iceUdp) throw new SdpError(`transport ${t.attr('xmlns') ?? '(no namespace)'} is not ICE-UDP (XEP-0176)`);
  const ufrag = t.attr('ufrag');
  const pwd = t.attr('pwd');
  if (!ufrag || !pwd) throw new SdpError('XEP-0176 <transport/> needs ufrag and pwd');
  const out: ReturnType<typeof transportFromJingle> = { ice: { ufrag, pwd }, candidates: t.getChildren('candidate').map(candidateFromJingle) };
  const fp = t.getChild('fingerprint', JINGLE_NS.dtls);
  if (fp) {
    const setup = fp.attr('setup') ?? 'actpass';
    const value = fp.text().trim().toUpperCase();
    if (!['actpass', 'active', 'passive'].includes(setup)) throw new SdpError(`XEP-0320 setup "${setup}" is not actpass, active or passive`);
    if (!fp.attr('hash') || !/^[0-9A-F]{2}(:[0-9A-F]{2})+$/.test(value)) throw new SdpError('XEP-0320 <fingerprint/> needs a hash and a hex:hex:... value');
    out.fingerprint = { hash: fp.attr('hash')!.toLowerCase(), value, setup: setup as Fingerprint['setup'] };
  }
  const sctp = t.getChild('sctpmap', JINGLE_NS.sctp);
  if (sctp) out.sctp = { port: toInt(sctp.attr('number') ?? '', 'sctpmap number', 'sctpmap') };
  return out;
}
