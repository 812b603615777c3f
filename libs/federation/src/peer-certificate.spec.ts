import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acceptableServerPurpose, parsePemBundle, verifyChain } from './peer-certificate.js';
import { makeFederationPki } from './testing/federation-pki.js';

const dir = mkdtempSync(join(tmpdir(), 'glider-fed-chain-'));
const otherDir = mkdtempSync(join(tmpdir(), 'glider-fed-chain2-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});
const pki = makeFederationPki(dir);
const stranger = makeFederationPki(otherDir, 'Someone else');
const anchors = parsePemBundle(pki.caPem);
const now = (): Date => new Date();
const chainOf = (file: string) => parsePemBundle(readFileSync(file, 'utf8'));

test('a chain up to a trusted CA verifies; with the CA omitted from what the peer sent too', () => {
  const c = pki.issue('a.example');
  assert.deepEqual(verifyChain(chainOf(c.chainFile), anchors, now()), { ok: true });
  assert.deepEqual(verifyChain([new X509Certificate(c.cert)], anchors, now()), { ok: true });
});

test('serverAuth-only certificates are accepted (public CAs dropped clientAuth in 2026)', () => {
  const c = pki.issue('serveronly.example', { eku: 'serverAuth' });
  const leaf = new X509Certificate(c.cert);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(acceptableServerPurpose(leaf), true);
  assert.deepEqual(verifyChain([leaf], anchors, now()), { ok: true });
  // clientAuth only, no EKU at all: also a server's certificate by RFC 5280 §4.2.1.12
  assert.equal(acceptableServerPurpose(new X509Certificate(pki.issue('c.example', { eku: 'clientAuth' }).cert)), true);
  assert.equal(acceptableServerPurpose(new X509Certificate(pki.issue('n.example', { eku: 'none' }).cert)), true);
});

test('a certificate for another purpose only (e-mail protection, code signing) is refused', () => {
  const c = pki.issue('mail.example', { eku: 'emailProtection,codeSigning' });
  const verdict = verifyChain([new X509Certificate(c.cert)], anchors, now());
  assert.equal(verdict.ok, false);
  assert.match((verdict as { reason: string }).reason, /extended key usage/);
});

test('an untrusted issuer, a self-signed leaf and an expired chain are refused', () => {
  const foreign = stranger.issue('a.example');
  assert.deepEqual(verifyChain(chainOf(foreign.chainFile), anchors, now()), { ok: false, reason: 'no path to a trusted issuer' });
  const selfSigned = parsePemBundle(stranger.caPem);
  assert.deepEqual(verifyChain(selfSigned, anchors, now()), { ok: false, reason: 'self-signed certificate not in the trust store' });
  const later = new Date(Date.now() + 30 * 86_400_000);
  assert.deepEqual(verifyChain(chainOf(pki.issue('a.example').chainFile), anchors, later), { ok: false, reason: 'certificate expired' });
  const earlier = new Date(Date.now() - 30 * 86_400_000);
  assert.deepEqual(verifyChain(chainOf(pki.issue('a.example').chainFile), anchors, earlier), { ok: false, reason: 'certificate not yet valid' });
});

test('a leaf used as an issuer (not a CA) breaks the path', () => {
  // a partner with a valid leaf signs a certificate for another domain with that leaf's key
  const leaf = pki.issue('evil.example');
  const forged = pki.issue('victim.example', { signer: leaf });
  const verdict = verifyChain([new X509Certificate(forged.cert), new X509Certificate(leaf.cert)], anchors, now());
  assert.equal(verdict.ok, false);
  assert.match((verdict as { reason: string }).reason, /is not a CA/);
  assert.deepEqual(verifyChain([], anchors, now()), { ok: false, reason: 'no certificate presented' });
});
