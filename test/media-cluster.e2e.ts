import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { goSendxmpp } from './harness/external-clients.js';
import { addUser } from './harness/gliderctl.js';
import { startMongoServer, type MongoServer } from './harness/mongodb.js';
import { connect, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const UPLOAD = 'urn:xmpp:http:upload:0';
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// XEP-0363 in the local cluster: two media-relay processes on MongoDB storage (FerretDB, or
// $MONGODB_URL), so files live in GridFS and the signing key in the NATS KV store.
describe('media-relay in the cluster: uploads on GridFS, served by every replica', () => {
  let mongo: MongoServer;
  let c: Cluster;
  let ann: TestClient;
  const ports: number[] = [];
  before(async () => {
    mongo = await startMongoServer();
    ports.push(await freePort(), await freePort());
    c = await startCluster({
      edges: 1,
      routers: 1,
      mediaRelays: 2,
      mediaEnv: (i) => ({ GLIDER_MEDIA__UPLOAD__PORT: String(ports[i - 1]) }),
      env: { GLIDER_STORAGE__KIND: 'mongodb', GLIDER_STORAGE__MONGODB__URL: mongo.url, GLIDER_STORAGE__MONGODB__DATABASE: mongo.database },
    });
    trustCertificate(c.certPem());
    await addUser('ann@localhost', 'ann-password', c.adminPort);
    const e = c.edges[0]!;
    ann = await connect(`xmpp://${e.host}:${e.c2sPort}`, 'ann', 'ann-password', 'laptop');
  });
  after(async () => {
    await ann?.stop();
    await c?.stop();
    await mongo?.stop();
  });

  const onPort = (url: string, port: number) => url.replace(/:\d+\/upload\//, `:${port}/upload/`);

  it('a slot from one replica is PUT to the other, and both serve the file', async () => {
    const data = randomBytes(2 * 1024 * 1024 + 5);
    const slot = (
      await ann.iq(
        xml(
          'iq',
          { type: 'get', to: 'upload.localhost' },
          xml('request', { xmlns: UPLOAD, filename: 'plan.pdf', size: String(data.length), 'content-type': 'application/pdf' }),
        ),
      )
    ).getChild('slot', UPLOAD)!;
    const put = slot.getChild('put')!.attrs.url as string;
    const get = slot.getChild('get')!.attrs.url as string;
    const signedBy = Number(/:(\d+)\/upload\//.exec(put)![1]);
    const other = ports.find((p) => p !== signedBy)!;
    assert.ok(ports.includes(signedBy));
    const stored = await fetch(onPort(put, other), { method: 'PUT', body: data, headers: { 'Content-Type': 'application/pdf' } });
    assert.equal(stored.status, 201, await stored.text());
    for (const port of ports) {
      const got = await fetch(onPort(get, port));
      assert.equal(got.status, 200);
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(data));
    }
    const reused = await fetch(onPort(put, signedBy), { method: 'PUT', body: data, headers: { 'Content-Type': 'application/pdf' } });
    assert.equal(reused.status, 409, 'a slot is used once, whichever replica gets it');
    const range = await fetch(onPort(get, other), { headers: { Range: 'bytes=100-199' } });
    assert.equal(range.status, 206);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), data.subarray(100, 200));
  });

  it("go-sendxmpp's upload option works against the cluster", async () => {
    await addUser('gus@localhost', 'gus-password', c.adminPort);
    await ann.send(xml('presence'));
    const dir = mkdtempSync(join(tmpdir(), 'go-sendxmpp-upload-'));
    const file = join(dir, 'notes.txt');
    const data = randomBytes(300_000);
    writeFileSync(file, data);
    const e = c.edges[0]!;
    const r = await goSendxmpp({
      jid: 'gus@localhost',
      password: 'gus-password',
      host: e.host,
      port: e.c2sPort,
      directTls: false,
      certPem: c.certPem(),
      certDir: dir,
      to: 'ann@localhost',
      body: '',
      httpUpload: file,
    });
    assert.equal(r.code, 0, `go-sendxmpp failed:\n${r.stdout}\n${r.stderr}`);
    const msg = await ann.waitFor('the upload URL from go-sendxmpp', (s) => s.is('message') && s.attrs.from?.startsWith('gus@') === true);
    const url = msg.getChild('x', 'jabber:x:oob')?.getChildText('url') ?? msg.getChildText('body')!;
    for (const port of ports) {
      const got = await fetch(onPort(url, port));
      assert.equal(got.status, 200);
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), sha256(data));
    }
  });
});
