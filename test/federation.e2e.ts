import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { gliderctl } from './harness/gliderctl.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

/**
 * Two Glider standalones federating on loopback (issue 13): a.test and b.test, certificates from
 * one test CA (serverAuth only on b.test's), `s2s.routes` instead of DNS, each allowing the other.
 */
describe('federation: two Glider standalones (a.test ↔ b.test) over s2s with SASL EXTERNAL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-fed-e2e-'));
  const pki = makeFederationPki(dir);
  let a: Deployment;
  let b: Deployment;
  const clients: TestClient[] = [];
  /** b.test's policy is a file (s2s.policyFile), changed by the last test without a restart. */
  const policyFile = join(dir, 'b-policy.json');

  before(async () => {
    trustCertificate(pki.caPem);
    const [portA, portB] = [await freePort(), await freePort()];
    writeFileSync(policyFile, JSON.stringify({ mode: 'allowlist', allow: ['a.test'] }));
    const side = async (domain: string, other: string, port: number, otherPort: number, eku: string) => {
      const cert = pki.issue(domain, { eku, san: [...xmppServerSans(domain), 'DNS:localhost'] });
      return startStandalone({
        ...(domain === 'b.test' ? { GLIDER_S2S__POLICY_FILE: policyFile, GLIDER_S2S__POLICY_POLL_MS: '200' } : {}),
        GLIDER_DOMAINS: JSON.stringify([domain]),
        GLIDER_TLS__CERT_FILE: cert.chainFile,
        GLIDER_TLS__KEY_FILE: cert.keyFile,
        GLIDER_TLS__OCSP_STAPLING: 'false',
        GLIDER_S2S__ENABLED: 'true',
        GLIDER_S2S__PORT: String(port),
        GLIDER_S2S__DIRECT_TLS_PORT: '0',
        GLIDER_S2S__TRUST_FILE: pki.caFile,
        GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: [other] }),
        GLIDER_S2S__ROUTES: JSON.stringify({ [other]: { host: '127.0.0.1', port: otherPort } }),
      });
    };
    // Both start at once; when one fails the other is still stopped by after() (with Promise.all
    // it was never assigned, kept running, and the file never ended).
    const started = await Promise.allSettled([
      side('a.test', 'b.test', portA, portB, 'serverAuth,clientAuth'),
      side('b.test', 'a.test', portB, portA, 'serverAuth'),
    ]);
    [a, b] = started.map((r) => (r.status === 'fulfilled' ? r.value : undefined)) as [Deployment, Deployment];
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: a.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    assert.equal((await gliderctl(['user', 'add', 'bob@b.test'], { adminPort: b.adminPort, stdin: 'bob-secret-22\n' })).code, 0);
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('alice@a.test and bob@b.test chat both ways; an IQ crosses and its answer comes back', async () => {
    const ea = a.edges[0]!;
    const eb = b.edges[0]!;
    const alice = await connect(`xmpp://${ea.host}:${ea.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
    const bob = await connect(`xmpp://${eb.host}:${eb.c2sPort}`, 'bob', 'bob-secret-22', 'phone', 'b.test');
    clients.push(alice, bob);
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'f1' }, xml('body', {}, 'hello from a.test')));
    const got = await bob.waitFor('alice message over s2s', isMessageWithBody('hello from a.test'));
    assert.equal(got.attrs.from, alice.jid);
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'f2' }, xml('body', {}, 'hello back from b.test')));
    const back = await alice.waitFor('bob reply over s2s', isMessageWithBody('hello back from b.test'));
    assert.equal(back.attrs.from, bob.jid);
    // an IQ to the remote server itself: answered by b.test's router, the result routed back over s2s
    const result = await alice.iq(xml('iq', { to: 'b.test', type: 'get', id: 'disco1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.equal(result.attrs.from, 'b.test');
    assert.ok(result.getChild('query', 'http://jabber.org/protocol/disco#info'));
  });

  it('presence subscription both ways across the federation, then available presence flows', async () => {
    const [alice, bob] = clients as [TestClient, TestClient];
    // RFC 6121 §3.1.3: a subscription request reaches available resources (or waits offline)
    await alice.send(xml('presence'));
    await bob.send(xml('presence'));
    await alice.send(xml('presence', { to: 'bob@b.test', type: 'subscribe' }));
    await bob.waitFor('subscribe from alice over s2s', isPresence('alice@a.test', 'subscribe'));
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribed' }));
    await bob.send(xml('presence', { to: 'alice@a.test', type: 'subscribe' }));
    await alice.waitFor('subscribed from bob over s2s', isPresence('bob@b.test', 'subscribed'));
    await alice.waitFor('subscribe from bob over s2s', isPresence('bob@b.test', 'subscribe'));
    await alice.send(xml('presence', { to: 'bob@b.test', type: 'subscribed' }));
    await alice.waitFor("bob's available presence over s2s", isPresence('bob@b.test', undefined));
    await bob.waitFor("alice's available presence over s2s", isPresence('alice@a.test', undefined));
  });

  it('a domain outside the allowlist: the stanza bounces with remote-server-not-found', async () => {
    const alice = clients[0]!;
    await alice.send(xml('message', { to: 'carol@c.test', type: 'chat', id: 'f3' }, xml('body', {}, 'to a stranger')));
    const err = await alice.waitFor('bounce', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'f3');
    assert.ok(err.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
  });

  it("b.test drops a.test from its policy file: no restart, its streams close, and alice's next message bounces", async () => {
    const [alice, bob] = clients as [TestClient, TestClient];
    writeFileSync(join(dir, 'b-policy.next.json'), JSON.stringify({ mode: 'allowlist', allow: [] }));
    renameSync(join(dir, 'b-policy.next.json'), policyFile);
    const bLog = b.processes[0]!.logFile;
    await waitFor(() => readFileSync(bLog, 'utf8').includes('federation policy changed'), { what: 'b.test applied the new policy', timeoutMs: 15_000 });
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'f4' }, xml('body', {}, 'after the policy change')));
    const err = await alice.waitFor('bounce after the policy change', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'f4');
    assert.ok(err.getChild('error')?.getChild('remote-server-not-found', 'urn:ietf:params:xml:ns:xmpp-stanzas'));
    assert.equal(
      bob.stanzas.some((s) => s.is('message') && s.attrs.id === 'f4'),
      false,
    );
  });
});
