import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki, xmppServerSans } from '#libs/federation';
import { freePort, waitFor } from '#libs/testing';
import { gliderctl } from './harness/gliderctl.js';
import { prosodyInstalled, startProsody, type ProsodyPeer } from './harness/prosody.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { logLine } from './harness/glider-process.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const readLog = (file: string): string => readFileSync(file, 'utf8');

/**
 * XEP-0220 dialback with a real Prosody (Debian 0.12, mod_dialback, s2s_secure_auth off): Glider
 * (a.test) and Prosody (d.test) hold certificates from CAs the other does not trust, so only
 * dialback (over TLS, XEP-0344) can authenticate either way. Prosody finds a.test through its hosts
 * file on port 5269 (test/harness/prosody.ts); this Glider listens on 127.0.0.2, an address of this
 * file's own (federation-peers.e2e.ts probes 127.0.0.100 up, muc-federation*.e2e.ts 11 and 21 up), so no other test's 5269 is in its way.
 */
describe(
  'dialback with Prosody (a.test ↔ d.test), certificates not trusted either way',
  { skip: !prosodyInstalled() && 'prosody not installed (.ci/run installs it)' },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-fed-dialback-'));
    const pki = makeFederationPki(dir);
    const policyFile = join(dir, 'policy.json');
    const host = '127.0.0.2';
    let glider: Deployment;
    let prosody: ProsodyPeer;
    const clients: TestClient[] = [];

    before(async () => {
      trustCertificate(pki.caPem);
      const otherCa = makeFederationPki(mkdtempSync(join(dir, 'other-ca-')), 'Prosody CA');
      trustCertificate(otherCa.caPem); // for dave's client; Glider's s2s trusts only s2s.trustFile
      const d = otherCa.issue('d.test', { eku: 'serverAuth', san: xmppServerSans('d.test') });
      prosody = await startProsody({
        dir: join(dir, 'prosody'),
        domain: 'd.test',
        certFile: d.chainFile,
        keyFile: d.keyFile,
        caFile: otherCa.caFile,
        hosts: { 'a.test': host },
        users: { dave: 'dave-secret-7' },
        dialback: true,
      });
      writeFileSync(policyFile, JSON.stringify({ mode: 'allowlist', allow: ['d.test'], dialback: true }));
      const a = pki.issue('a.test', { eku: 'serverAuth', san: [...xmppServerSans('a.test'), 'DNS:localhost'] });
      glider = await startStandalone({
        GLIDER_EDGE__HOST: host,
        GLIDER_DOMAINS: JSON.stringify(['a.test']),
        GLIDER_TLS__CERT_FILE: a.chainFile,
        GLIDER_TLS__KEY_FILE: a.keyFile,
        GLIDER_TLS__OCSP_STAPLING: 'false',
        GLIDER_S2S__ENABLED: 'true',
        GLIDER_S2S__PORT: '5269',
        GLIDER_S2S__DIRECT_TLS_PORT: '0',
        GLIDER_S2S__TRUST_FILE: pki.caFile,
        GLIDER_S2S__POLICY_FILE: policyFile,
        GLIDER_S2S__POLICY_POLL_MS: '200',
        GLIDER_S2S__ROUTES: JSON.stringify({ 'd.test': { host: '127.0.0.1', port: prosody.s2sPort } }),
      });
      assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: glider.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    });
    after(async () => {
      for (const c of clients) await c.stop().catch(() => undefined);
      await glider?.stop();
      await prosody?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('alice@a.test and dave@d.test chat both ways, each server verifying the other by dialback', async () => {
      const e = glider.edges[0]!;
      const alice = await connect(`xmpp://${host}:${e.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
      const dave = await connect(`xmpp://127.0.0.1:${prosody.c2sPort}`, 'dave', 'dave-secret-7', 'phone', 'd.test');
      clients.push(alice, dave);
      await alice.send(xml('message', { to: dave.jid, type: 'chat', id: 'db1' }, xml('body', {}, 'hello over dialback')));
      assert.equal((await dave.waitFor('alice message via dialback', isMessageWithBody('hello over dialback'))).attrs.from, alice.jid);
      await dave.send(xml('message', { to: alice.jid, type: 'chat', id: 'db2' }, xml('body', {}, 'hello back over dialback')));
      assert.equal((await alice.waitFor('dave reply via dialback', isMessageWithBody('hello back over dialback'))).attrs.from, dave.jid);
      // Prosody as Receiving Server asked a.test's Authoritative Server (Glider) about Glider's key, and
      // as Authoritative Server answered Glider's <db:verify/> about its own key (mod_dialback's debug lines)
      await waitFor(() => /asking a\.test if key .* belongs to them/.test(readLog(prosody.logFile)), {
        what: 'Prosody verified a.test by dialback',
        timeoutMs: 15_000,
      });
      await waitFor(() => readLog(prosody.logFile).includes('verified dialback key... it is valid'), {
        what: "Prosody confirmed its key to Glider's db:verify",
        timeoutMs: 15_000,
      });
      await logLine(
        glider.processes[0]!.logFile,
        /"by":"dialback".*peer domain authenticated \(dialback\)|peer domain authenticated \(dialback\).*"by":"dialback"/,
      );
      await logLine(glider.processes[0]!.logFile, /outbound stream ready \(dialback\)/);
    });

    it('an IQ crosses and its answer comes back over the dialback streams', async () => {
      const [alice] = clients as [TestClient];
      const v = await alice.iq(xml('iq', { to: 'd.test', type: 'get', id: 'dbv1' }, xml('query', { xmlns: 'jabber:iq:version' })));
      assert.match(v.getChild('query', 'jabber:iq:version')?.getChildText('name') ?? '', /prosody/i);
    });

    it('dialback switched off in the policy file: no restart, the untrusted peer is refused both ways', async () => {
      const [alice, dave] = clients as [TestClient, TestClient];
      writeFileSync(join(dir, 'policy.next.json'), JSON.stringify({ mode: 'allowlist', allow: ['d.test'], dialback: false }));
      renameSync(join(dir, 'policy.next.json'), policyFile);
      const gliderLog = glider.processes[0]!.logFile;
      await waitFor(() => readLog(gliderLog).includes('dialback switched off'), {
        what: 'Glider closed the streams that stood on dialback',
        timeoutMs: 15_000,
      });
      await alice.send(xml('message', { to: dave.jid, type: 'chat', id: 'db3' }, xml('body', {}, 'after dialback went off')));
      const out = await alice.waitFor('bounce to alice', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'db3');
      assert.ok(out.getChild('error')?.getChild('remote-server-not-found', STANZAS));
      await dave.send(xml('message', { to: alice.jid, type: 'chat', id: 'db4' }, xml('body', {}, 'from an untrusted peer')));
      const back = await dave.waitFor('Prosody bounces what Glider refused', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'db4');
      assert.equal(back.attrs.from, alice.jid);
      assert.equal(
        alice.stanzas.some((s) => s.is('message') && (s.attrs.id === 'db4' || s.getChildText('body') === 'from an untrusted peer')),
        false,
      );
      assert.ok(!readLog(prosody.logFile).includes('after dialback went off'));
    });
  },
);

/**
 * Two Glider standalones, each with a certificate from its own CA that the other does not trust:
 * with `s2s.policy.dialback` on, they federate by dialback both ways (each is initiating, receiving
 * and authoritative server), the keys made from each one's secret in its bus KV.
 */
describe('dialback between two Glider standalones (a.test ↔ b.test), certificates not trusted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-fed-dialback-gg-'));
  let a: Deployment;
  let b: Deployment;
  const clients: TestClient[] = [];

  before(async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const side = async (domain: string, other: string, port: number, otherPort: number) => {
      const pki = makeFederationPki(mkdtempSync(join(dir, `${domain}-ca-`)), `${domain} CA`);
      trustCertificate(pki.caPem);
      const cert = pki.issue(domain, { eku: 'serverAuth', san: [...xmppServerSans(domain), 'DNS:localhost'] });
      return startStandalone({
        GLIDER_DOMAINS: JSON.stringify([domain]),
        GLIDER_TLS__CERT_FILE: cert.chainFile,
        GLIDER_TLS__KEY_FILE: cert.keyFile,
        GLIDER_TLS__OCSP_STAPLING: 'false',
        GLIDER_S2S__ENABLED: 'true',
        GLIDER_S2S__PORT: String(port),
        GLIDER_S2S__DIRECT_TLS_PORT: '0',
        // each trusts only its own CA: the other's certificate never validates
        GLIDER_S2S__TRUST_FILE: pki.caFile,
        GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: [other], dialback: true }),
        GLIDER_S2S__ROUTES: JSON.stringify({ [other]: { host: '127.0.0.1', port: otherPort } }),
      });
    };
    [a, b] = await Promise.all([side('a.test', 'b.test', portA, portB), side('b.test', 'a.test', portB, portA)]);
    assert.equal((await gliderctl(['user', 'add', 'alice@a.test'], { adminPort: a.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    assert.equal((await gliderctl(['user', 'add', 'bob@b.test'], { adminPort: b.adminPort, stdin: 'bob-secret-22\n' })).code, 0);
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('alice@a.test and bob@b.test chat both ways over dialback-authenticated streams', async () => {
    const [ea, eb] = [a.edges[0]!, b.edges[0]!];
    const alice = await connect(`xmpp://${ea.host}:${ea.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.test');
    const bob = await connect(`xmpp://${eb.host}:${eb.c2sPort}`, 'bob', 'bob-secret-22', 'phone', 'b.test');
    clients.push(alice, bob);
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'gg1' }, xml('body', {}, 'dialback a→b')));
    assert.equal((await bob.waitFor('alice message', isMessageWithBody('dialback a→b'))).attrs.from, alice.jid);
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'gg2' }, xml('body', {}, 'dialback b→a')));
    assert.equal((await alice.waitFor('bob reply', isMessageWithBody('dialback b→a'))).attrs.from, bob.jid);
    for (const d of [a, b]) {
      await logLine(d.processes[0]!.logFile, /outbound stream ready \(dialback\)/);
      await logLine(d.processes[0]!.logFile, /peer domain authenticated \(dialback\)/);
    }
  });
});
