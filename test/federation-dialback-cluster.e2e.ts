import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { gliderctl } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { TcpBalancer } from './harness/tcp-balancer.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';
import { s2sPortOf } from './harness/glider-process.js';

const count = (file: string, text: string): number => readFileSync(file, 'utf8').split(text).length - 1;

/**
 * Dialback against a cluster: b.test's keys are made by the edge owning a.test's partition, but the
 * standalone a.test checks them with whichever edge its connection lands on (a balancer in front of
 * both, as a Kubernetes Service). Two verifications in turn land on both edges, so one edge answers
 * for a key another edge made: the dialback secret is the same on every edge (derived from the TLS
 * key they share, apps/edge/src/s2s/dialback-secret.ts). Certificates come from CAs the other side
 * does not trust, so only dialback authenticates.
 */
describe('dialback: a standalone (a.test) and a NATS cluster with two edges (b.test)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-fed-dialback-cluster-'));
  const policyFile = join(dir, 'a-policy.json');
  const setPolicy = (dialback: boolean) => {
    writeFileSync(join(dir, 'a-policy.next.json'), JSON.stringify({ mode: 'allowlist', allow: ['b.test'], dialback }));
    renameSync(join(dir, 'a-policy.next.json'), policyFile);
  };
  let a: Deployment;
  let b: Cluster;
  let balancer: TcpBalancer;
  const clients: TestClient[] = [];

  before(async () => {
    const caA = makeFederationPki(mkdtempSync(join(dir, 'ca-a-')), 'a.test CA');
    const caB = makeFederationPki(mkdtempSync(join(dir, 'ca-b-')), 'b.test CA');
    trustCertificate(caA.caPem);
    trustCertificate(caB.caPem);
    const portA = await freePort();
    const certB = caB.issue('b.test', { eku: 'serverAuth', san: [...xmppServerSans('b.test'), 'DNS:localhost'] });
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
        GLIDER_S2S__TRUST_FILE: caB.caFile,
        GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['a.test'], dialback: true }),
        GLIDER_S2S__ROUTES: JSON.stringify({ 'a.test': { host: '127.0.0.1', port: portA } }),
      },
    });
    const edges = b.byRole('edge');
    balancer = await TcpBalancer.start([await s2sPortOf(edges[0]!.logFile), await s2sPortOf(edges[1]!.logFile)]);
    setPolicy(true);
    const certA = caA.issue('a.test', { eku: 'serverAuth', san: [...xmppServerSans('a.test'), 'DNS:localhost'] });
    a = await startStandalone({
      GLIDER_DOMAINS: JSON.stringify(['a.test']),
      GLIDER_TLS__CERT_FILE: certA.chainFile,
      GLIDER_TLS__KEY_FILE: certA.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: String(portA),
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: caA.caFile,
      GLIDER_S2S__POLICY_FILE: policyFile,
      GLIDER_S2S__POLICY_POLL_MS: '200',
      GLIDER_S2S__ROUTES: JSON.stringify({ 'b.test': { host: '127.0.0.1', port: balancer.port } }),
    });
    assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: a.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    assert.equal((await gliderctl(['user', 'add', 'bob@b.test'], { adminPort: b.adminPort, stdin: 'bob-secret-22\n' })).code, 0);
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop(), balancer?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("b.test's keys verify on both of its edges: one answers for a key the other made", async () => {
    const ea = a.edges[0]!;
    const eb = b.edges[1]!;
    const alice = await connect(`xmpp://${ea.host}:${ea.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
    const bob = await connect(`xmpp://${eb.host}:${eb.c2sPort}`, 'bob', 'bob-secret-22', 'phone', 'b.test');
    clients.push(alice, bob);
    // only b.test → a.test traffic: a.test's one connection to b.test per dialback is its verification
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'k1' }, xml('body', {}, 'first key')));
    await alice.waitFor('first message, verified by one edge', isMessageWithBody('first key'));
    assert.deepEqual(balancer.counts, [1, 0]);
    // a.test switches dialback off and on again: the stream from b.test closes, its next one needs a new key
    const aLog = a.processes[0]!.logFile;
    setPolicy(false);
    await waitFor(() => count(aLog, 'federation policy changed') >= 1, { what: 'a.test turned dialback off', timeoutMs: 15_000 });
    setPolicy(true);
    await waitFor(() => count(aLog, 'federation policy changed') >= 2, { what: 'a.test turned dialback on again', timeoutMs: 15_000 });
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'k2' }, xml('body', {}, 'second key')));
    await alice.waitFor('second message, verified by the other edge', isMessageWithBody('second key'));
    assert.deepEqual(balancer.counts, [1, 1], 'each edge answered one <db:verify/>');
    // the second line can reach the file after the message it preceded (test/harness logLine)
    await waitFor(() => count(aLog, 'peer domain authenticated (dialback)') >= 2, { what: "a.test's second dialback line", timeoutMs: 15_000 });
    assert.equal(count(aLog, 'peer domain authenticated (dialback)'), 2);
  });
});
