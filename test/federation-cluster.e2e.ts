import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { gliderctl } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';
import { s2sPortOf } from './harness/glider-process.js';

/**
 * Issue 13, "two Glider instances (standalone ↔ cluster)": b.test is a cluster (nats-server, two
 * edges, a router, presence); the edge owning a.test's partition of the `s2s` service dials out,
 * any edge takes inbound streams. a.test is a standalone.
 */
describe('federation: a standalone (a.test) and a NATS cluster with two edges (b.test)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-fed-cluster-'));
  const pki = makeFederationPki(dir);
  let a: Deployment;
  let b: Cluster;
  const clients: TestClient[] = [];

  before(async () => {
    trustCertificate(pki.caPem);
    const portA = await freePort();
    const certB = pki.issue('b.test', { eku: 'serverAuth', san: [...xmppServerSans('b.test'), 'DNS:localhost'] });
    b = await startCluster({
      edges: 2,
      env: {
        GLIDER_DOMAINS: JSON.stringify(['b.test']),
        GLIDER_TLS__CERT_FILE: certB.chainFile,
        GLIDER_TLS__KEY_FILE: certB.keyFile,
        GLIDER_TLS__OCSP_STAPLING: 'false',
        GLIDER_S2S__ENABLED: 'true',
        GLIDER_S2S__PORT: '0',
        GLIDER_S2S__DIRECT_TLS_PORT: '0',
        GLIDER_S2S__TRUST_FILE: pki.caFile,
        GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['a.test'] }),
        GLIDER_S2S__ROUTES: JSON.stringify({ 'a.test': { host: '127.0.0.1', port: portA } }),
      },
    });
    const portB = await s2sPortOf(b.byRole('edge')[0]!.logFile);
    const certA = pki.issue('a.test', { san: [...xmppServerSans('a.test'), 'DNS:localhost'] });
    a = await startStandalone({
      GLIDER_DOMAINS: JSON.stringify(['a.test']),
      GLIDER_TLS__CERT_FILE: certA.chainFile,
      GLIDER_TLS__KEY_FILE: certA.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: String(portA),
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['b.test'] }),
      GLIDER_S2S__ROUTES: JSON.stringify({ 'b.test': { host: '127.0.0.1', port: portB } }),
    });
    assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: a.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    assert.equal((await gliderctl(['user', 'add', 'bob@b.test'], { adminPort: b.adminPort, stdin: 'bob-secret-22\n' })).code, 0);
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('alice@a.test and bob@b.test (on the second edge) chat both ways', async () => {
    const ea = a.edges[0]!;
    const eb = b.edges[1]!;
    const alice = await connect(`xmpp://${ea.host}:${ea.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
    const bob = await connect(`xmpp://${eb.host}:${eb.c2sPort}`, 'bob', 'bob-secret-22', 'phone', 'b.test');
    clients.push(alice, bob);
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'c1' }, xml('body', {}, 'hello cluster')));
    assert.equal((await bob.waitFor('alice over s2s into the cluster', isMessageWithBody('hello cluster'))).attrs.from, alice.jid);
    for (let i = 0; i < 5; i++) await bob.send(xml('message', { to: alice.jid, type: 'chat', id: `c2-${i}` }, xml('body', {}, `from the cluster ${i}`)));
    for (let i = 0; i < 5; i++) await alice.waitFor(`bob's message ${i} from the cluster`, isMessageWithBody(`from the cluster ${i}`));
    const order = alice.stanzas.filter((s) => s.is('message') && s.attrs.id?.startsWith('c2-')).map((s) => s.attrs.id);
    assert.deepEqual(order, ['c2-0', 'c2-1', 'c2-2', 'c2-3', 'c2-4']);
  });
});
