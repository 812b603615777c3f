import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addUser } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

// Its own file (own process): the test process trusts one standalone's self-signed certificate.
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

describe('media-relay disabled (the default)', () => {
  let d: Deployment;
  let c: TestClient;
  before(async () => {
    d = await startStandalone();
    trustCertificate(d.certPem());
    await addUser('noma@localhost', 'noma-password', d.adminPort);
    c = await connect(`xmpp://${d.edges[0]!.host}:${d.edges[0]!.c2sPort}`, 'noma', 'noma-password', 'laptop');
  });
  after(async () => {
    await c?.stop();
    await d?.stop();
  });

  it('lists no media component and upload.localhost cannot be reached', async () => {
    const items = (await c.iq(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: DISCO_ITEMS })))).getChild('query')!.getChildren('item');
    // Other services (pubsub.<domain>) are listed; nothing of the media-relay's is.
    assert.deepEqual(
      items.map((i) => i.attrs.jid as string).filter((jid) => jid.startsWith('proxy.') || jid.startsWith('upload.')),
      [],
    );
    assert.ok(items.length > 0, 'the check sees the server items at all');
    await assert.rejects(c.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('query', { xmlns: DISCO_INFO }))), /remote-server-not-found/);
  });
});
