import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '#libs/testing';
import { addUser } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';

async function login(d: Deployment, user: string): Promise<TestClient> {
  trustCertificate(d.certPem());
  await addUser(`${user}@${d.domain}`, `${user}-password`, d.adminPort);
  const e = d.edges[0]!;
  return connect(`xmpp://${e.host}:${e.c2sPort}`, user, `${user}-password`, 'laptop');
}

const items = async (c: TestClient, to: string) =>
  (await c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: DISCO_ITEMS }))))
    .getChild('query')!
    .getChildren('item')
    .map((i) => i.attrs.jid as string);

describe('media-relay in standalone: upload.<domain> (XEP-0363 discovery)', () => {
  let d: Deployment;
  let c: TestClient;
  before(async () => {
    d = await startStandalone({ GLIDER_MEDIA__ENABLED: 'true', GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()) });
    c = await login(d, 'uma');
  });
  after(async () => {
    await c?.stop();
    await d?.stop();
  });

  it('lists upload.localhost among the server items and answers its disco#info', async () => {
    assert.deepEqual(await items(c, 'localhost'), ['upload.localhost']);
    const info = (await c.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('query', { xmlns: DISCO_INFO })))).getChild('query')!;
    const id = info.getChild('identity')!;
    assert.deepEqual({ category: id.attrs.category, type: id.attrs.type }, { category: 'store', type: 'file' });
  });

  it('answers a chat message to the component with service-unavailable', async () => {
    await c.send(xml('message', { to: 'upload.localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'hello?')));
    const err = await c.waitFor('error from upload.localhost', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'm1');
    assert.ok(err.getChild('error')!.getChild('service-unavailable'));
  });
});
