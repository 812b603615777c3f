import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseElement, reparseLimits } from '#libs/xml';
import { xml } from '#libs/xml';
import { jingleToSdp, sdpToJingle, sendersOf, directionOf } from './jingle.codec.js';
import { JINGLE_NS } from './namespaces.js';
import { parseSdp, writeSdp } from './sdp.codec.js';
import { SdpError } from './session-description.js';

// An offer Chromium 156 wrote (audio from its fake device and a data channel), shortened.
const OFFER = [
  'v=0',
  'o=- 1109018406887916692 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS b426d3f7',
  'm=audio 35346 UDP/TLS/RTP/SAVPF 111 63 0',
  'c=IN IP4 192.0.2.2',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1411679159 1 udp 2122194687 192.0.2.2 35346 typ host generation 0 network-id 1',
  'a=candidate:720068911 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 network-id 1',
  'a=candidate:3093801562 1 udp 50339839 198.51.100.7 50054 typ relay raddr 0.0.0.0 rport 0 generation 0 ufrag PcRz network-cost 999',
  'a=ice-ufrag:PcRz',
  'a=ice-pwd:r3GXHveoam7ilmyTl0yJylMf',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 65:D4:74:C1:BA:6F:0D:53:DE:EC:99:3B:BD:1B:14:8B:F1:1F:ED:39:5B:D6:D2:C1:BA:47:B1:8B:AB:9C:58:67',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:b426d3f7 e05e1c9a',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:0 PCMU/8000',
  'a=ssrc:3611643717 cname:xKsqu84BAfZlnawm',
  'a=ssrc:3611643717 msid:b426d3f7 e05e1c9a',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=ice-ufrag:PcRz',
  'a=ice-pwd:r3GXHveoam7ilmyTl0yJylMf',
  'a=fingerprint:sha-256 65:D4:74:C1:BA:6F:0D:53:DE:EC:99:3B:BD:1B:14:8B:F1:1F:ED:39:5B:D6:D2:C1:BA:47:B1:8B:AB:9C:58:67',
  'a=setup:actpass',
  'a=mid:1',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
].join('\r\n');

const onTheWire = (contents: ReturnType<typeof sdpToJingle>) =>
  parseElement(
    xml('jingle', { xmlns: JINGLE_NS.jingle, action: 'session-initiate', sid: 's1' }, ...contents).toString(),
    reparseLimits({ maxStanzaBytes: 1 << 20, maxDepth: 16, maxAttributes: 32, maxAttributeBytes: 4096, maxNameBytes: 256 }),
  );

test('SDP → Jingle: XEP-0167 payloads, XEP-0176 transport, XEP-0320 fingerprint, XEP-0343 sctpmap, XEP-0338 group', () => {
  const jingle = onTheWire(sdpToJingle(parseSdp(OFFER), { author: 'initiator' }));
  const [audio, data] = jingle.getChildren('content');
  assert.equal(audio!.attr('name'), '0');
  assert.equal(audio!.attr('senders'), 'both');
  const desc = audio!.getChild('description', JINGLE_NS.rtp)!;
  assert.equal(desc.attr('media'), 'audio');
  const opus = desc.getChildren('payload-type').find((p) => p.attr('id') === '111')!;
  assert.deepEqual(opus.attrs, { id: '111', name: 'opus', clockrate: '48000', channels: '2' });
  assert.deepEqual(
    opus.getChildren('parameter').map((p) => p.attrs),
    [
      { name: 'minptime', value: '10' },
      { name: 'useinbandfec', value: '1' },
    ],
  );
  assert.equal(opus.getChild('rtcp-fb', JINGLE_NS.rtcpFb)?.attr('type'), 'transport-cc');
  assert.ok(desc.getChild('rtcp-mux'));
  assert.equal(desc.getChild('source', JINGLE_NS.ssma)?.attr('ssrc'), '3611643717');
  const t = audio!.getChild('transport', JINGLE_NS.iceUdp)!;
  assert.deepEqual([t.attr('ufrag'), t.attr('pwd')], ['PcRz', 'r3GXHveoam7ilmyTl0yJylMf']);
  const fp = t.getChild('fingerprint', JINGLE_NS.dtls)!;
  assert.deepEqual(
    [fp.attr('hash'), fp.attr('setup'), fp.text()],
    ['sha-256', 'actpass', '65:D4:74:C1:BA:6F:0D:53:DE:EC:99:3B:BD:1B:14:8B:F1:1F:ED:39:5B:D6:D2:C1:BA:47:B1:8B:AB:9C:58:67'],
  );
  const cands = t.getChildren('candidate');
  assert.equal(cands.length, 2, 'the TCP candidate is not ICE-UDP');
  const relay = cands.find((c) => c.attr('type') === 'relay')!;
  assert.equal(relay.attr('ip'), '198.51.100.7');
  assert.equal(relay.attr('rel-addr'), '0.0.0.0');
  assert.match(relay.attr('id') ?? '', /^[0-9a-f]{12}$/);
  const sctp = data!.getChild('transport')!.getChild('sctpmap', JINGLE_NS.sctp)!;
  assert.deepEqual(sctp.attrs, { xmlns: JINGLE_NS.sctp, number: '5000', protocol: 'webrtc-datachannel' });
  const group = jingle.getChild('group', JINGLE_NS.grouping)!;
  assert.deepEqual([group.attr('semantics'), ...group.getChildren('content').map((c) => c.attr('name'))], ['BUNDLE', '0', '1']);
});

test('SDP → Jingle → SDP keeps what the browser negotiates', () => {
  const before = parseSdp(OFFER);
  const after = parseSdp(writeSdp(jingleToSdp(onTheWire(sdpToJingle(before, { author: 'initiator' })), 'initiator')));
  before.media[0]!.candidates = before.media[0]!.candidates.filter((c) => c.protocol === 'udp');
  delete before.media[1]!.sctp!.maxMessageSize; // XEP-0343 has no max-message-size: RFC 8841's default applies
  assert.deepEqual(after, before);
});

test('senders is seen from the session: a sendonly answer is the responder sending', () => {
  assert.equal(sendersOf('sendonly', 'responder'), 'responder');
  assert.equal(sendersOf('recvonly', 'responder'), 'initiator');
  assert.equal(sendersOf('recvonly', 'initiator'), 'responder');
  assert.equal(directionOf('responder', 'initiator'), 'recvonly');
  assert.equal(directionOf('responder', 'responder'), 'sendonly');
  assert.equal(directionOf('none', 'initiator'), 'inactive');
  const answer = parseSdp(OFFER.replace('a=sendrecv', 'a=recvonly'));
  const content = onTheWire(sdpToJingle(answer, { author: 'responder' })).getChildren('content')[0]!;
  assert.equal(content.attr('senders'), 'initiator');
  assert.equal(jingleToSdp(onTheWire(sdpToJingle(answer, { author: 'responder' })), 'responder').media[0]!.direction, 'recvonly');
});

test('bad input is an SdpError that says what is wrong', () => {
  assert.throws(
    () => parseSdp('hello'),
    (e) => e instanceof SdpError && /v=0/.test(e.message),
  );
  assert.throws(() => parseSdp(OFFER.replace('a=mid:0\r\n', '')), /no a=mid/);
  assert.throws(() => parseSdp(OFFER.replace('a=fingerprint:sha-256 65:D4', 'a=fingerprint:sha-256 zz:D4')), /fingerprint/);
  assert.throws(() => parseSdp(OFFER.replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:5 PCMU/8000')), /not on the m-line/);
  assert.throws(() => parseSdp(OFFER.replace('typ host generation 0 network-id 1', 'typ bogus')), /candidate type/);
  const noTransport = xml('jingle', { xmlns: JINGLE_NS.jingle }, xml('content', { name: 'x' }, xml('description', { xmlns: JINGLE_NS.rtp, media: 'audio' })));
  assert.throws(() => jingleToSdp(noTransport, 'initiator'), /no <transport\/>/);
  const rawUdp = xml('jingle', { xmlns: JINGLE_NS.jingle }, xml('content', { name: 'x' }, xml('transport', { xmlns: 'urn:xmpp:jingle:transports:raw-udp:1' })));
  assert.throws(() => jingleToSdp(rawUdp, 'initiator'), /not ICE-UDP/);
  const badSenders = onTheWire(sdpToJingle(parseSdp(OFFER), { author: 'initiator' }));
  badSenders.getChildren('content')[0]!.setAttr('senders', 'everybody');
  assert.throws(() => jingleToSdp(badSenders, 'initiator'), /senders "everybody"/);
});
