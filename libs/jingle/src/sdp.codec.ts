import { parseCandidate, toInt, writeCandidate } from './candidate.js';
import {
  SdpError,
  type Direction,
  type Fingerprint,
  type MediaSection,
  type PayloadType,
  type RtpSection,
  type SessionDescription,
} from './session-description.js';

const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
const SETUPS = new Set<string>(['actpass', 'active', 'passive']);

/** SDP text (RFC 8866, as JSEP RFC 9429 produces it) to the model Jingle carries. */
export function parseSdp(sdp: string): SessionDescription {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') throw new SdpError('SDP must start with "v=0"');
  const desc: SessionDescription = { groups: [], media: [] };
  const session = { ice: { ufrag: '', pwd: '' }, fingerprint: undefined as Fingerprint | undefined, setup: undefined as string | undefined, allowMixed: false };
  let m: (MediaSection & { setup?: string }) | undefined;
  for (const line of lines) {
    if (line.startsWith('m=')) {
      m = startMedia(line, session.ice);
      desc.media.push(m);
      continue;
    }
    if (!line.startsWith('a=')) continue;
    const [name, value = ''] = splitAttr(line.slice(2));
    if (!m) {
      if (name === 'group') {
        const [semantics, ...mids] = value.split(' ');
        desc.groups.push({ semantics: semantics!, mids });
      } else if (name === 'ice-ufrag') session.ice.ufrag = value;
      else if (name === 'ice-pwd') session.ice.pwd = value;
      else if (name === 'fingerprint') session.fingerprint = fingerprint(value, 'actpass');
      else if (name === 'setup') session.setup = value;
      else if (name === 'extmap-allow-mixed') session.allowMixed = true;
      continue;
    }
    mediaAttribute(m, name, value, line);
  }
  for (const section of desc.media) {
    const s = section as MediaSection & { setup?: string };
    if (!s.fingerprint && session.fingerprint) s.fingerprint = { ...session.fingerprint };
    const setup = s.setup ?? session.setup;
    if (s.fingerprint && setup) {
      if (!SETUPS.has(setup)) throw new SdpError(`a=setup:${setup} is not actpass, active or passive`);
      s.fingerprint.setup = setup as Fingerprint['setup'];
    }
    delete s.setup;
    if (s.rtp && session.allowMixed) s.rtp.extmapAllowMixed = true;
    if (!s.mid) throw new SdpError(`m=${s.kind} has no a=mid (Jingle names contents by it)`);
    if (!s.ice.ufrag || !s.ice.pwd) throw new SdpError(`m=${s.kind} (mid ${s.mid}) has no ICE ufrag/pwd`);
  }
  return desc;
}

function startMedia(line: string, ice: { ufrag: string; pwd: string }): MediaSection {
  const [kind, , protocol, ...formats] = line.slice(2).split(' ');
  if (kind !== 'audio' && kind !== 'video' && kind !== 'application') throw new SdpError(`unsupported media "${kind}" in "${line}"`);
  if (!protocol) throw new SdpError(`m-line without protocol: "${line}"`);
  const m: MediaSection = { mid: '', kind, protocol, direction: 'sendrecv', ice: { ...ice }, candidates: [] };
  if (kind !== 'application') {
    m.rtp = { payloads: [], feedback: [], extensions: [], extmapAllowMixed: false, rtcpMux: false, sources: [], sourceGroups: [] };
    for (const f of formats) m.rtp.payloads.push({ id: toInt(f, 'payload type', line), name: '', clockrate: 0, parameters: [], feedback: [] });
  }
  return m;
}

function mediaAttribute(m: MediaSection & { setup?: string }, name: string, value: string, line: string): void {
  if (DIRECTIONS.has(name)) m.direction = name as Direction;
  else if (name === 'mid') m.mid = value;
  else if (name === 'ice-ufrag') m.ice.ufrag = value;
  else if (name === 'ice-pwd') m.ice.pwd = value;
  else if (name === 'fingerprint') m.fingerprint = fingerprint(value, m.fingerprint?.setup ?? 'actpass');
  else if (name === 'setup') m.setup = value;
  else if (name === 'candidate') m.candidates.push(parseCandidate(line));
  else if (name === 'sctp-port') m.sctp = { ...m.sctp, port: toInt(value, 'sctp-port', line) };
  else if (name === 'max-message-size') m.sctp = { port: m.sctp?.port ?? 5000, maxMessageSize: toInt(value, 'max-message-size', line) };
  else if (m.rtp) rtpAttribute(m.rtp, name, value, line);
}

function rtpAttribute(rtp: RtpSection, name: string, value: string, line: string): void {
  const payload = (id: string): PayloadType => {
    const p = rtp.payloads.find((x) => x.id === toInt(id, 'payload type', line));
    if (!p) throw new SdpError(`"${line}" names a payload type that is not on the m-line`);
    return p;
  };
  if (name === 'rtpmap') {
    const [id, codec = ''] = value.split(' ');
    const [codecName, clock, channels] = codec.split('/');
    const p = payload(id!);
    p.name = codecName!;
    p.clockrate = toInt(clock ?? '', 'clock rate', line);
    if (channels !== undefined) p.channels = toInt(channels, 'channels', line);
  } else if (name === 'fmtp') {
    const [id, ...rest] = value.split(' ');
    for (const part of rest
      .join(' ')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      payload(id!).parameters.push(eq < 0 ? { value: part } : { name: part.slice(0, eq), value: part.slice(eq + 1) });
    }
  } else if (name === 'rtcp-fb') {
    const [id, type, subtype] = value.split(' ');
    const fb = subtype === undefined ? { type: type! } : { type: type!, subtype };
    (id === '*' ? rtp.feedback : payload(id!).feedback).push(fb);
  } else if (name === 'extmap') {
    const [idDir, uri] = value.split(' ');
    const [id, dir] = idDir!.split('/');
    rtp.extensions.push({ id: toInt(id!, 'extmap id', line), uri: uri!, ...(dir && DIRECTIONS.has(dir) ? { direction: dir as Direction } : {}) });
  } else if (name === 'rtcp-mux') rtp.rtcpMux = true;
  else if (name === 'extmap-allow-mixed') rtp.extmapAllowMixed = true;
  else if (name === 'msid') rtp.msid = value;
  else if (name === 'ssrc') {
    const sp = value.indexOf(' ');
    const ssrc = toInt(value.slice(0, sp), 'ssrc', line);
    const [pname, ...pv] = value.slice(sp + 1).split(':');
    let source = rtp.sources.find((s) => s.ssrc === ssrc);
    if (!source) rtp.sources.push((source = { ssrc, parameters: [] }));
    source.parameters.push({ name: pname!, value: pv.join(':') });
  } else if (name === 'ssrc-group') {
    const [semantics, ...ssrcs] = value.split(' ');
    rtp.sourceGroups.push({ semantics: semantics!, ssrcs: ssrcs.map((s) => toInt(s, 'ssrc', line)) });
  }
}

function splitAttr(attr: string): [string, string?] {
  const colon = attr.indexOf(':');
  return colon < 0 ? [attr] : [attr.slice(0, colon), attr.slice(colon + 1)];
}

function fingerprint(value: string, setup: Fingerprint['setup']): Fingerprint {
  const [hash, fp] = value.split(' ');
  if (!hash || !fp || !/^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})+$/.test(fp)) throw new SdpError(`a=fingerprint:${value} is not "<hash> <hex:hex:...>"`);
  return { hash: hash.toLowerCase(), value: fp.toUpperCase(), setup };
}

/** The model back to SDP text a browser accepts as a remote description. */
export function writeSdp(desc: SessionDescription, origin = { sessionId: '0', version: 2 }): string {
  const out = ['v=0', `o=- ${origin.sessionId} ${origin.version} IN IP4 127.0.0.1`, 's=-', 't=0 0'];
  for (const g of desc.groups) out.push(`a=group:${[g.semantics, ...g.mids].join(' ')}`);
  if (desc.media.some((m) => m.rtp?.extmapAllowMixed)) out.push('a=extmap-allow-mixed');
  out.push('a=msid-semantic: WMS');
  for (const m of desc.media) writeMedia(m, out);
  return out.join('\r\n') + '\r\n';
}

function writeMedia(m: MediaSection, out: string[]): void {
  const formats = m.rtp ? m.rtp.payloads.map((p) => p.id).join(' ') : 'webrtc-datachannel';
  out.push(`m=${m.kind} 9 ${m.protocol} ${formats}`, 'c=IN IP4 0.0.0.0');
  if (m.rtp) out.push('a=rtcp:9 IN IP4 0.0.0.0');
  for (const c of m.candidates) out.push(`a=${writeCandidate(c)}`);
  out.push(`a=ice-ufrag:${m.ice.ufrag}`, `a=ice-pwd:${m.ice.pwd}`);
  if (m.fingerprint) out.push(`a=fingerprint:${m.fingerprint.hash} ${m.fingerprint.value}`, `a=setup:${m.fingerprint.setup}`);
  out.push(`a=mid:${m.mid}`);
  if (m.rtp) writeRtp(m.rtp, m.direction, out);
  if (m.sctp) {
    out.push(`a=sctp-port:${m.sctp.port}`);
    if (m.sctp.maxMessageSize !== undefined) out.push(`a=max-message-size:${m.sctp.maxMessageSize}`);
  }
}

function writeRtp(rtp: RtpSection, direction: Direction, out: string[]): void {
  for (const e of rtp.extensions) out.push(`a=extmap:${e.id}${e.direction ? '/' + e.direction : ''} ${e.uri}`);
  out.push(`a=${direction}`);
  if (rtp.msid) out.push(`a=msid:${rtp.msid}`);
  if (rtp.rtcpMux) out.push('a=rtcp-mux');
  for (const fb of rtp.feedback) out.push(`a=rtcp-fb:* ${fb.type}${fb.subtype ? ' ' + fb.subtype : ''}`);
  for (const p of rtp.payloads) {
    out.push(`a=rtpmap:${p.id} ${p.name}/${p.clockrate}${p.channels !== undefined ? '/' + p.channels : ''}`);
    for (const fb of p.feedback) out.push(`a=rtcp-fb:${p.id} ${fb.type}${fb.subtype ? ' ' + fb.subtype : ''}`);
    if (p.parameters.length > 0) out.push(`a=fmtp:${p.id} ${p.parameters.map((x) => (x.name === undefined ? x.value : `${x.name}=${x.value}`)).join(';')}`);
  }
  for (const g of rtp.sourceGroups) out.push(`a=ssrc-group:${[g.semantics, ...g.ssrcs].join(' ')}`);
  for (const s of rtp.sources) for (const p of s.parameters) out.push(`a=ssrc:${s.ssrc} ${p.name}:${p.value}`);
}
