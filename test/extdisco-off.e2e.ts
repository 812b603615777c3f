import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { addUser } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { discoverServices, EXTDISCO_NS } from './harness/webrtc/extdisco-client.js';
import { connect, trustCertificate, xml } from './harness/xmpp-client.js';

// Its own file (own process): the test process trusts one standalone's self-signed certificate.
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';

describe('media-relay on, its TURN relay off', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone({ GLIDER_MEDIA__ENABLED: 'true', GLIDER_MEDIA__TURN__ENABLED: 'false' });
    trustCertificate(d.certPem());
  });
  after(async () => {
    await d?.stop();
  });

  it('does not advertise XEP-0215 and answers service-unavailable (XEP-0215 §2)', async () => {
    await addUser(`off@${d.domain}`, 'off-password', d.adminPort);
    const c = await connect(`xmpp://${d.edges[0]!.host}:${d.edges[0]!.c2sPort}`, 'off', 'off-password', 'pc');
    try {
      const info = await c.iq(xml('iq', { type: 'get', to: d.domain }, xml('query', { xmlns: DISCO_INFO })));
      const features = info
        .getChild('query')!
        .getChildren('feature')
        .map((f) => f.attrs.var);
      assert.ok(features.includes(DISCO_INFO), 'disco#info answered');
      assert.ok(!features.includes(EXTDISCO_NS), 'urn:xmpp:extdisco:2 is not promised');
      await assert.rejects(discoverServices(c, d.domain), /service-unavailable/);
    } finally {
      await c.stop();
    }
  });
});
