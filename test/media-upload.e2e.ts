import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '#libs/testing';
import { goSendxmpp } from './harness/external-clients.js';
import { addUser } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, trustCertificate, xml, type TestClient, type XmppElement } from './harness/xmpp-client.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const UPLOAD = 'urn:xmpp:http:upload:0';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

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
    // The server's other services (pubsub.<domain>…) are listed too: only the media-relay's matter here.
    assert.deepEqual(
      (await items(c, 'localhost')).filter((jid) => jid.startsWith('proxy.') || jid.startsWith('upload.')),
      ['proxy.localhost', 'upload.localhost'],
    );
    const info = (await c.iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('query', { xmlns: DISCO_INFO })))).getChild('query')!;
    const id = info.getChild('identity')!;
    assert.deepEqual({ category: id.attrs.category, type: id.attrs.type }, { category: 'store', type: 'file' });
    assert.ok(info.getChildren('feature').some((f) => f.attrs.var === UPLOAD));
    const max = info
      .getChild('x', 'jabber:x:data')!
      .getChildren('field')
      .find((f) => f.attrs.var === 'max-file-size');
    assert.equal(max?.getChildText('value'), String(100 * 1024 * 1024));
  });

  it('an xmpp.js user gets a slot, PUTs over HTTPS with fetch, and anyone GETs the same bytes', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const slot = (
      await c.iq(
        xml(
          'iq',
          { type: 'get', to: 'upload.localhost' },
          xml('request', { xmlns: UPLOAD, filename: 'holiday photo.jpg', size: String(data.length), 'content-type': 'image/jpeg' }),
        ),
      )
    ).getChild('slot', UPLOAD)!;
    const put = slot.getChild('put')!.attrs.url as string;
    const get = slot.getChild('get')!.attrs.url as string;
    assert.match(get, /^https:\/\/localhost:\d+\/upload\/[A-Za-z0-9_-]+\/holiday%20photo\.jpg$/);
    const stored = await fetch(put, { method: 'PUT', body: data, headers: { 'Content-Type': 'image/jpeg' } });
    assert.equal(stored.status, 201);
    const got = await fetch(get);
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'image/jpeg');
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(data));
    assert.equal((await fetch(put, { method: 'PUT', body: data, headers: { 'Content-Type': 'image/jpeg' } })).status, 409, 'a slot is used once');
  });

  it("go-sendxmpp's upload option (-h) sends a file an xmpp.js user downloads intact", async () => {
    await addUser(`gus@${d.domain}`, 'gus-password', d.adminPort);
    await c.send(xml('presence')); // available: go-sendxmpp's message to the bare JID comes here, not to offline storage
    const dir = mkdtempSync(join(tmpdir(), 'go-sendxmpp-upload-'));
    const file = join(dir, 'report.bin');
    const data = randomBytes(1024 * 1024 + 3);
    writeFileSync(file, data);
    const e = d.edges[0]!;
    const r = await goSendxmpp({
      jid: `gus@${d.domain}`,
      password: 'gus-password',
      host: e.host,
      port: e.c2sPort,
      directTls: false,
      certPem: d.certPem(),
      certDir: dir,
      to: c.jid.split('/')[0]!,
      body: '',
      httpUpload: file,
    });
    assert.equal(r.code, 0, `go-sendxmpp failed:\n${r.stdout}\n${r.stderr}`);
    const msg = await c.waitFor('the upload URL from go-sendxmpp', (s) => s.is('message') && s.attrs.from?.startsWith('gus@') === true);
    const url = msg.getChild('x', 'jabber:x:oob')?.getChildText('url') ?? msg.getChildText('body')!;
    assert.match(url, /^https:\/\/localhost:\d+\/upload\/.+\/report\.bin$/);
    const got = await fetch(url);
    assert.equal(got.status, 200);
    assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(data));
  });

  it('refuses a slot for a file larger than media.upload.maxFileBytes with file-too-large', async () => {
    const err = await c
      .iq(xml('iq', { type: 'get', to: 'upload.localhost' }, xml('request', { xmlns: UPLOAD, filename: 'big.iso', size: String(100 * 1024 * 1024 + 1) })))
      .then(
        () => assert.fail('a slot for a too large file'),
        (e: { condition?: string; element?: XmppElement }) => e,
      );
    // xmpp.js's StanzaError: `element` is the <error/> itself.
    assert.equal(err.condition, 'not-acceptable');
    assert.equal(err.element?.getChild('file-too-large', UPLOAD)?.getChildText('max-file-size'), String(100 * 1024 * 1024));
  });

  it('answers a chat message to the component with service-unavailable', async () => {
    await c.send(xml('message', { to: 'upload.localhost', type: 'chat', id: 'm1' }, xml('body', {}, 'hello?')));
    const err = await c.waitFor('error from upload.localhost', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'm1');
    assert.ok(err.getChild('error')!.getChild('service-unavailable'));
  });
});
