import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, relayPortBlock, stunBindingAnswered } from '#libs/testing';
import { addUser } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { discoverServices, EXTDISCO_NS, turnIceServers } from './harness/webrtc/extdisco-client.js';
import { webrtcCallScenario } from './scenarios/webrtc-call.scenario.js';
import { connect, trustCertificate, xml } from './harness/xmpp-client.js';

// Its own file (own process): the test process trusts one standalone's self-signed certificate.
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const FILE_BYTES = 512 * 1024;

/** The relay's own count of relayed bytes, from standalone's Prometheus endpoint. */
async function relayedBytes(httpPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const lines = text.split('\n').filter((l) => l.startsWith('glider_turn_relayed_bytes_total'));
  if (lines.length === 0) throw new Error('no glider_turn_relayed_bytes_total on /metrics');
  return lines.reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('a WebRTC call through Glider: XEP-0215 credentials, Jingle signalling, Glider TURN relay', () => {
  let d: Deployment;
  let httpPort: number;
  const ports = { udp: 0, tcp: 0 };
  before(async () => {
    httpPort = await freePort();
    ports.udp = await freePort();
    ports.tcp = await freePort();
    const [relayMin, relayMax] = relayPortBlock(200);
    d = await startStandalone({
      GLIDER_HTTP__PORT: String(httpPort),
      GLIDER_MEDIA__ENABLED: 'true',
      GLIDER_MEDIA__TURN__HOST: '127.0.0.1',
      GLIDER_MEDIA__TURN__UDP_PORT: String(ports.udp),
      GLIDER_MEDIA__TURN__TCP_PORT: String(ports.tcp),
      GLIDER_MEDIA__TURN__TRANSPORTS: 'udp,tcp',
      GLIDER_MEDIA__TURN__RELAY_ADDRESS: '127.0.0.1',
      GLIDER_MEDIA__TURN__RELAY_PORT_MIN: String(relayMin),
      GLIDER_MEDIA__TURN__RELAY_PORT_MAX: String(relayMax),
      // Relaying to loopback is refused by default (open relay, SSRF); the browsers here are on it.
      GLIDER_MEDIA__TURN__ALLOWED_PEERS: '127.0.0.0/8',
    });
    trustCertificate(d.certPem());
  });
  after(async () => {
    await d?.stop();
  });

  it('advertises XEP-0215 and hands out STUN/TURN services with credentials (§3.1-§3.3)', async () => {
    await addUser(`ext@${d.domain}`, 'ext-password', d.adminPort);
    const c = await connect(`xmpp://${d.edges[0]!.host}:${d.edges[0]!.c2sPort}`, 'ext', 'ext-password', 'pc');
    try {
      const info = await c.iq(xml('iq', { type: 'get', to: d.domain }, xml('query', { xmlns: DISCO_INFO })));
      assert.ok(
        info
          .getChild('query')!
          .getChildren('feature')
          .some((f) => f.attrs.var === EXTDISCO_NS),
        'urn:xmpp:extdisco:2 in the server disco#info',
      );
      const all = await discoverServices(c, d.domain);
      assert.deepEqual(
        all.map((s) => `${s.type}/${s.transport}:${s.port}${s.restricted ? ' restricted' : ''}`),
        [`stun/udp:${ports.udp}`, `turn/udp:${ports.udp} restricted`, `turn/tcp:${ports.tcp} restricted`],
      );
      const turn = all.find((s) => s.type === 'turn')!;
      assert.match(turn.username!, /^\d+:ext@localhost$/);
      assert.ok(Date.parse(turn.expires!) > Date.now(), 'expires in the future (XEP-0082 UTC)');
      assert.equal((await discoverServices(c, d.domain, 'stun')).length, 1);
      assert.ok(await stunBindingAnswered(turn.host, ports.udp, 2000), 'the advertised STUN service answers a Binding request');
      const credentials = async (attrs: Record<string, string>) =>
        (await c.iq(xml('iq', { type: 'get', to: d.domain }, xml('credentials', { xmlns: EXTDISCO_NS }, xml('service', attrs)))))
          .getChild('credentials', EXTDISCO_NS)!
          .getChildren('service');
      assert.deepEqual(
        (await credentials({ host: turn.host, type: 'turn' })).map((s) => s.attrs.transport),
        ['udp', 'tcp'],
        'host and type match both',
      );
      const tcpOnly = await credentials({ host: turn.host, type: 'turn', port: String(ports.tcp) });
      assert.deepEqual(
        tcpOnly.map((s) => s.attrs.transport),
        ['tcp'],
        'the port narrows it',
      );
      assert.match(tcpOnly[0]!.attrs.password!, /^[A-Za-z0-9+/]{27}=$/, 'base64 HMAC-SHA1');
      await assert.rejects(
        c.iq(
          xml(
            'iq',
            { type: 'get', to: d.domain },
            xml('credentials', { xmlns: EXTDISCO_NS }, xml('service', { host: 'turn.elsewhere.example', type: 'turn' })),
          ),
        ),
        /item-not-found/,
      );
      await assert.rejects(c.iq(xml('iq', { type: 'get', to: d.domain }, xml('credentials', { xmlns: EXTDISCO_NS }))), /bad-request/);
    } finally {
      await c.stop();
    }
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`two Chromium peers call relay-only through Glider's TURN over ${transport}: data and audio arrive, and the relay carried them`, async () => {
      const before = await relayedBytes(httpPort);
      let relayHost = '';
      const r = await webrtcCallScenario(d, {
        tag: transport,
        fileBytes: FILE_BYTES,
        audio: true,
        iceServers: async (client) => {
          const servers = turnIceServers(await discoverServices(client, d.domain, 'turn'), transport);
          assert.equal(servers.length, 1, `one TURN ${transport} service`);
          relayHost = new URL(servers[0]!.urls[0]!.replace(/^turn:/, 'turn://')).hostname;
          return servers;
        },
      });
      for (const [who, p] of [
        ['caller', r.caller],
        ['callee', r.callee],
      ] as const) {
        assert.equal(p.localType, 'relay', `${who}: its selected local candidate is a relayed one`);
        assert.equal(p.remoteType, 'relay', `${who}: so is the remote one (both behind the relay)`);
        assert.equal(p.localAddress, relayHost, `${who}: relayed by Glider's relay address`);
        assert.equal(p.relayProtocol, transport, `${who}: reached the relay over ${transport}`);
        assert.equal(p.url, `turn:${relayHost}:${transport === 'udp' ? ports.udp : ports.tcp}?transport=${transport}`, `${who}: Glider's TURN service`);
      }
      assert.ok(r.callee.audioPacketsReceived >= 50, 'audio arrived');
      assert.deepEqual(r.calleeActions, ['session-initiate', ...r.calleeActions.slice(1, -1).map(() => 'transport-info'), 'session-terminate']);
      assert.equal(r.callerActions[0], 'session-accept');
      // each byte crosses the relay twice (into one allocation, out of the other)
      assert.ok((await relayedBytes(httpPort)) - before >= 2 * FILE_BYTES, "the relay's counter saw the file twice");
    });
  }
});
