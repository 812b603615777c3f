import { xml, type Element } from '#libs/xml';
import { toInt } from './candidate.js';
import { JINGLE_NS } from './namespaces.js';
import { SdpError, type PayloadType, type RtcpFeedback, type RtpSection } from './session-description.js';

/**
 * XEP-0167 §4 `<description media>` with `<payload-type id name clockrate channels>` and its
 * `<parameter name value/>` (SDP `a=rtpmap`, `a=fmtp`; a format parameter that is not name=value
 * keeps only its value), `<rtcp-mux/>`, XEP-0293 `<rtcp-fb/>`, XEP-0294 `<rtp-hdrext id uri/>`
 * (an extmap direction is not signalled) and `<extmap-allow-mixed/>`, XEP-0339 `<source ssrc>` / `<ssrc-group>`; the
 * media-level `a=msid` travels as the first source's `msid` parameter when there is a source, and
 * as a `<parameter name='msid'/>` of the description otherwise (a receive-only answer has none).
 */
export function rtpToJingle(kind: 'audio' | 'video', rtp: RtpSection): Element {
  const d = xml('description', { xmlns: JINGLE_NS.rtp, media: kind });
  for (const p of rtp.payloads) {
    const pt = xml('payload-type', {
      id: String(p.id),
      name: p.name,
      clockrate: String(p.clockrate),
      ...(p.channels !== undefined ? { channels: String(p.channels) } : {}),
    });
    for (const x of p.parameters) pt.append(xml('parameter', x.name === undefined ? { value: x.value } : { name: x.name, value: x.value }));
    for (const fb of p.feedback) pt.append(feedback(fb));
    d.append(pt);
  }
  for (const fb of rtp.feedback) d.append(feedback(fb));
  for (const e of rtp.extensions) d.append(xml('rtp-hdrext', { xmlns: JINGLE_NS.hdrext, id: String(e.id), uri: e.uri }));
  if (rtp.extmapAllowMixed) d.append(xml('extmap-allow-mixed', { xmlns: JINGLE_NS.hdrext }));
  if (rtp.rtcpMux) d.append(xml('rtcp-mux'));
  for (const s of rtp.sources) {
    const src = xml('source', { xmlns: JINGLE_NS.ssma, ssrc: String(s.ssrc) });
    for (const p of s.parameters) src.append(xml('parameter', { name: p.name, value: p.value }));
    d.append(src);
  }
  if (rtp.msid && !rtp.sources.some((s) => s.parameters.some((p) => p.name === 'msid' && p.value === rtp.msid))) {
    d.append(xml('parameter', { xmlns: JINGLE_NS.ssma, name: 'msid', value: rtp.msid }));
  }
  for (const g of rtp.sourceGroups) {
    d.append(xml('ssrc-group', { xmlns: JINGLE_NS.ssma, semantics: g.semantics }, ...g.ssrcs.map((ssrc) => xml('source', { ssrc: String(ssrc) }))));
  }
  return d;
}

export function rtpFromJingle(d: Element): { kind: 'audio' | 'video'; rtp: RtpSection } {
  const kind = d.attr('media');
  if (kind !== 'audio' && kind !== 'video') throw new SdpError(`XEP-0167 description media "${kind ?? ''}" is not audio or video`);
  const rtp: RtpSection = { payloads: [], feedback: [], extensions: [], extmapAllowMixed: false, rtcpMux: false, sources: [], sourceGroups: [] };
  for (const child of d.elements()) {
    const ns = child.xmlns;
    if (child.name === 'payload-type' && ns === JINGLE_NS.rtp) rtp.payloads.push(payload(child));
    else if (child.name === 'rtcp-fb' && ns === JINGLE_NS.rtcpFb) rtp.feedback.push(fromFeedback(child));
    else if (child.name === 'rtp-hdrext' && ns === JINGLE_NS.hdrext) {
      rtp.extensions.push({ id: toInt(child.attr('id') ?? '', 'rtp-hdrext id', 'rtp-hdrext'), uri: child.attr('uri') ?? '' });
    } else if (child.name === 'extmap-allow-mixed' && ns === JINGLE_NS.hdrext) rtp.extmapAllowMixed = true;
    else if (child.name === 'rtcp-mux') rtp.rtcpMux = true;
    else if (child.name === 'source' && ns === JINGLE_NS.ssma) {
      const params = child.getChildren('parameter').map((p) => ({ name: p.attr('name') ?? '', value: p.attr('value') ?? '' }));
      rtp.sources.push({ ssrc: toInt(child.attr('ssrc') ?? '', 'ssrc', 'source'), parameters: params });
      rtp.msid ??= params.find((p) => p.name === 'msid')?.value;
    } else if (child.name === 'parameter' && ns === JINGLE_NS.ssma && child.attr('name') === 'msid') rtp.msid = child.attr('value');
    else if (child.name === 'ssrc-group' && ns === JINGLE_NS.ssma) {
      rtp.sourceGroups.push({
        semantics: child.attr('semantics') ?? '',
        ssrcs: child.getChildren('source').map((s) => toInt(s.attr('ssrc') ?? '', 'ssrc', 'ssrc-group')),
      });
    }
  }
  if (rtp.payloads.length === 0) throw new SdpError('XEP-0167 description without a payload-type');
  return { kind, rtp };
}

function payload(el: Element): PayloadType {
  const p: PayloadType = {
    id: toInt(el.attr('id') ?? '', 'payload-type id', 'payload-type'),
    name: el.attr('name') ?? '',
    clockrate: toInt(el.attr('clockrate') ?? '0', 'clockrate', 'payload-type'),
    parameters: el
      .getChildren('parameter')
      .map((x) => (x.attr('name') === undefined ? { value: x.attr('value') ?? '' } : { name: x.attr('name')!, value: x.attr('value') ?? '' })),
    feedback: el.getChildren('rtcp-fb', JINGLE_NS.rtcpFb).map(fromFeedback),
  };
  if (el.attr('channels') !== undefined) p.channels = toInt(el.attr('channels')!, 'channels', 'payload-type');
  return p;
}

function feedback(fb: RtcpFeedback): Element {
  return xml('rtcp-fb', { xmlns: JINGLE_NS.rtcpFb, type: fb.type, ...(fb.subtype ? { subtype: fb.subtype } : {}) });
}

function fromFeedback(el: Element): RtcpFeedback {
  const subtype = el.attr('subtype');
  return subtype === undefined ? { type: el.attr('type') ?? '' } : { type: el.attr('type') ?? '', subtype };
}
