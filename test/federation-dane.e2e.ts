import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki, tlsaFor, tlsaText, xmppServerSans } from '#libs/federation';
import { freePort, startValidatingResolver, waitFor, type ValidatingResolver } from '#libs/testing';
import { gliderctl } from './harness/gliderctl.js';
import { logLine } from './harness/glider-process.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/**
 * DANE for s2s (RFC 7673, RFC 6698/7671) between two Glider standalones. b serves b/c/d/e.dane.test
 * with the self-signed certificate it made itself (no CA anywhere vouches for it). a.dane.test has
 * `s2s.dane.resolver` set to a real validating resolver (unbound, libs/testing) serving the zone
 * dane.test signed by ldns-signzone: SRV for b, c and e point at b's s2s port; b's TLSA is
 * `3 1 1` of b's key (DANE-EE), c's is of another key (a mismatch), e's was changed after signing
 * (bogus). d has no DNS at all: a reaches it by `s2s.routes`, i.e. without DANE.
 */
describe('federation with DANE: a.dane.test (validating resolver) ↔ b.dane.test (self-signed, published by TLSA)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-dane-e2e-'));
  const pki = makeFederationPki(dir);
  let a: Deployment;
  let b: Deployment;
  let unbound: ValidatingResolver;
  const clients: TestClient[] = [];
  /** a's policy, changed by a test without a restart (dialback on for the mismatch case). */
  const policyFile = join(dir, 'a-policy.json');
  const aPolicy = (dialback: boolean) => JSON.stringify({ mode: 'allowlist', allow: ['b.dane.test', 'c.dane.test', 'd.dane.test', 'e.dane.test'], dialback });
  const aLog = () => readFileSync(a.processes[0]!.logFile, 'utf8');

  before(async () => {
    trustCertificate(pki.caPem);
    const [portA, portB] = [await freePort(), await freePort()];
    const s2s = (port: number) => ({
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: String(port),
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_TLS__OCSP_STAPLING: 'false',
    });
    b = await startStandalone({
      ...s2s(portB),
      GLIDER_DOMAINS: JSON.stringify(['b.dane.test', 'c.dane.test', 'd.dane.test', 'e.dane.test']),
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      // b would take dialback from a: so a refusing it after a TLSA mismatch is a's doing
      GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: ['a.dane.test'], dialback: true }),
      GLIDER_S2S__ROUTES: JSON.stringify({ 'a.dane.test': { host: '127.0.0.1', port: portA } }),
    });
    const aCert = pki.issue('a.dane.test', { san: xmppServerSans('a.dane.test') });
    const bKey = tlsaText(tlsaFor(new X509Certificate(b.certPem()), 3, 1, 1));
    const otherKey = tlsaText(tlsaFor(new X509Certificate(aCert.cert), 3, 1, 1));
    const published = (label: string, tlsa: string) => [
      `_xmpp-server._tcp.${label} IN SRV 0 0 ${portB} xmpp.${label}.dane.test.`,
      `xmpp.${label} IN A 127.0.0.1`,
      `_${portB}._tcp.xmpp.${label} IN TLSA ${tlsa}`,
    ];
    unbound = await startValidatingResolver({
      signed: { name: 'dane.test', records: [...published('b', bKey), ...published('c', otherKey), ...published('e', bKey)] },
      tamper: (zone) =>
        zone.replace(new RegExp(`(_${portB}\\._tcp\\.xmpp\\.e\\.dane\\.test\\.\\s+\\d+\\s+IN\\s+TLSA\\s+3 1 1 )[0-9a-fA-F]+`), `$1${otherKey.split(' ')[3]}`),
    });
    writeFileSync(policyFile, aPolicy(false));
    a = await startStandalone({
      ...s2s(portA),
      GLIDER_DOMAINS: JSON.stringify(['a.dane.test']),
      GLIDER_TLS__CERT_FILE: aCert.chainFile,
      GLIDER_TLS__KEY_FILE: aCert.keyFile,
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY_FILE: policyFile,
      GLIDER_S2S__POLICY_POLL_MS: '200',
      GLIDER_S2S__DANE__RESOLVER: unbound.address,
      GLIDER_S2S__ROUTES: JSON.stringify({ 'd.dane.test': { host: '127.0.0.1', port: portB } }),
    });
    assert.equal((await gliderctl(['user', 'add', 'alice@a.dane.test'], { adminPort: a.adminPort, stdin: 'alice-secret-1\n' })).code, 0);
    assert.equal((await gliderctl(['user', 'add', 'bob@b.dane.test'], { adminPort: b.adminPort, stdin: 'bob-secret-22\n' })).code, 0);
    const ea = a.edges[0]!;
    const eb = b.edges[0]!;
    trustCertificate(b.certPem());
    clients.push(await connect(`xmpp://${ea.host}:${ea.c2sPort}`, 'alice', 'alice-secret-1', 'laptop', 'a.dane.test'));
    clients.push(await connect(`xmpp://${eb.host}:${eb.c2sPort}`, 'bob', 'bob-secret-22', 'phone', 'b.dane.test'));
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await Promise.all([a?.stop(), b?.stop()]);
    await unbound?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bounce = async (alice: TestClient, to: string, id: string) => {
    await alice.send(xml('message', { to, type: 'chat', id }, xml('body', {}, `to ${to}`)));
    const err = await alice.waitFor(`bounce of ${id}`, (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === id);
    assert.ok(err.getChild('error')?.getChild('remote-server-not-found', STANZAS), err.toString());
    return err.getChild('error')?.getChildText('text', STANZAS) ?? '';
  };

  it("DANE on: alice@a and bob@b chat both ways; a takes b's self-signed certificate on its TLSA record (DANE-EE), out and in", async () => {
    const [alice, bob] = clients as [TestClient, TestClient];
    await alice.send(xml('message', { to: bob.jid, type: 'chat', id: 'd1' }, xml('body', {}, 'hello over DANE')));
    const got = await bob.waitFor('alice message over s2s', isMessageWithBody('hello over DANE'));
    assert.equal(got.attrs.from, alice.jid);
    await bob.send(xml('message', { to: alice.jid, type: 'chat', id: 'd2' }, xml('body', {}, 'hello back, self-signed')));
    const back = await alice.waitFor('bob reply over s2s', isMessageWithBody('hello back, self-signed'));
    assert.equal(back.attrs.from, bob.jid);
    // a's log lines: the certificate of b taken on its TLSA record, and b's stream into a
    // authenticated by EXTERNAL on it (waited for: a line can reach the file after the reply, logLine)
    await logLine(a.processes[0]!.logFile, /"by":"DANE-EE","targetHost":"xmpp\.b\.dane\.test".*peer certificate authenticated with DNSSEC/);
    await logLine(a.processes[0]!.logFile, /peer domain authenticated \(SASL EXTERNAL\)/);
  });

  it('DANE not used (d.dane.test by a static route), dialback off: the same self-signed server is refused', async () => {
    const text = await bounce(clients[0]!, 'someone@d.dane.test', 'd3');
    // b made its own certificate (libs/tls generateSelfSigned): no CA of a vouches for it
    assert.match(text, /self-signed certificate not in the trust store|no path to a trusted issuer/);
  });

  it('a TLSA record for another key: refused, with no dialback although both sides allow it', async () => {
    writeFileSync(join(dir, 'a-policy.next.json'), aPolicy(true));
    renameSync(join(dir, 'a-policy.next.json'), policyFile);
    await waitFor(() => aLog().includes('federation policy changed'), { what: 'a applied dialback on', timeoutMs: 15_000 });
    const text = await bounce(clients[0]!, 'someone@c.dane.test', 'd4');
    assert.match(text, /no TLSA record \(DANE-EE\) matches the certificate/);
    assert.doesNotMatch(aLog(), /authenticating by dialback/);
    // counted and logged as a DANE refusal (glider_s2s_refused_total{reason="dane"}); the log line
    // may land in a's log file after the bounce reached the client
    await waitFor(() => /"remote":"c\.dane\.test","why":"DANE: no TLSA record/.test(aLog()), { what: 'the DANE refusal logged', timeoutMs: 15_000 });
  });

  it('a TLSA record changed after signing (bogus, SERVFAIL from the validator): refused', async () => {
    const text = await bounce(clients[0]!, 'someone@e.dane.test', 'd5');
    assert.match(text, /TLSA lookup SERVFAIL/);
    await waitFor(() => /"remote":"e\.dane\.test","why":"DANE: no SRV target of e\.dane\.test is usable/.test(aLog()), {
      what: 'the DANE refusal logged',
      timeoutMs: 15_000,
    });
    await waitFor(() => /validation failure <_\d+\._tcp\.xmpp\.e\.dane\.test\. TLSA IN>/.test(unbound.log()), {
      what: "unbound's validation failure logged",
      timeoutMs: 15_000,
    });
  });
});
