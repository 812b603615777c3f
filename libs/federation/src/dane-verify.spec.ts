import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyWithTlsa } from './dane-verify.js';
import { makeFederationPki, xmppServerSans } from './testing/federation-pki.js';
import { tlsaFor } from './tlsa.js';

/**
 * RFC 7671 §5 / RFC 7673 §4.2 with real certificates (openssl): DANE-EE ignores names and the
 * trust store; DANE-TA needs a path to the matched CA and a name; PKIX-* add to PKIX validation;
 * no match is a hard failure.
 */
describe('certificates checked against TLSA records', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-dane-verify-'));
  const pki = makeFederationPki(dir);
  const ca = new X509Certificate(pki.caPem);
  const leafOf = (domain: string, san = xmppServerSans(domain)) => new X509Certificate(pki.issue(domain, { san }).cert);
  const leaf = leafOf('example.test');
  const hosted = leafOf('xmpp23.hosting.test', ['DNS:xmpp23.hosting.test']);
  const stranger = leafOf('stranger.test');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'self.key',
      '-out',
      'self.crt',
      '-subj',
      '/CN=self',
      '-days',
      '1',
    ],
    {
      cwd: dir,
      stdio: 'ignore',
    },
  );
  const selfSigned = new X509Certificate(readFileSync(join(dir, 'self.crt')));
  const now = new Date();
  const names = ['example.test', 'xmpp23.hosting.test'];
  rmSync(dir, { recursive: true, force: true });

  it('DANE-EE: a self-signed certificate naming nothing of ours is accepted on its key, with no trust anchor', () => {
    const v = verifyWithTlsa([selfSigned], [tlsaFor(selfSigned, 3, 1, 1)], names, [], now);
    assert.deepEqual(v, { ok: true, by: 'DANE-EE' });
    assert.equal(verifyWithTlsa([selfSigned], [tlsaFor(selfSigned, 3, 0, 2)], names, [], now).ok, true);
  });

  it('DANE-TA: the CA sent in the chain and matched vouches, without being in the trust store; the leaf must still name the domain or SRV target', () => {
    const ta = [tlsaFor(ca, 2, 0, 1)];
    assert.deepEqual(verifyWithTlsa([leaf, ca], ta, names, [], now), { ok: true, by: 'DANE-TA', identity: 'srv-id' });
    // RFC 7673 §4.1 "SRV is secure": the target host name is a reference identifier too
    assert.deepEqual(verifyWithTlsa([hosted, ca], ta, names, [], now), { ok: true, by: 'DANE-TA', identity: 'dns-id' });
    const wrongName = verifyWithTlsa([stranger, ca], ta, names, [], now);
    assert.equal(wrongName.ok, false);
    assert.equal(!wrongName.ok && wrongName.hard, true);
    // the TA was not sent: nothing in the chain matches
    assert.equal(verifyWithTlsa([leaf], ta, names, [], now).ok, false);
  });

  it("DANE-TA with the CA's whole public key (2 1 0, RFC 7671 §5.2.2): the CA need not be sent", () => {
    const key = [tlsaFor(ca, 2, 1, 0)];
    assert.deepEqual(verifyWithTlsa([leaf], key, names, [], now), { ok: true, by: 'DANE-TA', identity: 'srv-id' });
    assert.equal(verifyWithTlsa([selfSigned], key, names, [], now).ok, false, 'a certificate that key did not sign');
  });

  it('PKIX-EE and PKIX-TA: a match is required on top of PKIX validation with our trust store', () => {
    assert.deepEqual(verifyWithTlsa([leaf, ca], [tlsaFor(leaf, 1, 1, 1)], names, [ca], now), { ok: true, by: 'PKIX-EE', identity: 'srv-id' });
    assert.deepEqual(verifyWithTlsa([leaf], [tlsaFor(ca, 0, 1, 1)], names, [ca], now), { ok: true, by: 'PKIX-TA', identity: 'srv-id' });
    const untrusted = verifyWithTlsa([leaf, ca], [tlsaFor(leaf, 1, 1, 1)], names, [], now);
    assert.equal(untrusted.ok, false);
    assert.match(!untrusted.ok ? untrusted.reason : '', /^PKIX-EE: /);
  });

  it('no record matches: a hard failure (no weaker method may follow), whatever PKIX would say', () => {
    const v = verifyWithTlsa([leaf, ca], [tlsaFor(stranger, 3, 1, 1), tlsaFor(stranger, 1, 1, 1)], names, [ca], now);
    assert.deepEqual(v, { ok: false, reason: 'no TLSA record (DANE-EE, PKIX-EE) matches the certificate', hard: true });
  });
});
