import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFederationPki } from './testing/federation-pki.js';
import { tlsaFor, tlsaMatches, tlsaText, usableTlsa, type Tlsa } from './tlsa.js';

/** What an operator runs to make the record (RFC 6698 §2.1.2-§2.1.3 with openssl, independent of our code). */
function opensslDigest(certFile: string, selector: 0 | 1, digest: 'sha256' | 'sha512'): string {
  const der = selector === 0 ? `openssl x509 -in ${certFile} -outform DER` : `openssl x509 -in ${certFile} -noout -pubkey | openssl pkey -pubin -outform DER`;
  return execFileSync('sh', ['-c', `${der} | openssl dgst -${digest} -r`], { encoding: 'utf8' })
    .split(' ')[0]!
    .toUpperCase();
}

describe('TLSA records (RFC 6698 §2.1, RFC 7671 §9)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-tlsa-'));
  const pki = makeFederationPki(dir);
  const issued = pki.issue('xmpp.example.test');
  const cert = new X509Certificate(issued.cert);
  const other = new X509Certificate(pki.issue('other.example.test').cert);

  it('cert and SPKI selectors with SHA-256 and SHA-512 give what openssl computes; each matches its certificate only', () => {
    for (const selector of [0, 1] as const)
      for (const [matching, digest] of [
        [1, 'sha256'],
        [2, 'sha512'],
      ] as const) {
        const r = tlsaFor(cert, 3, selector, matching);
        assert.equal(tlsaText(r), `3 ${selector} ${matching} ${opensslDigest(issued.certFile, selector, digest)}`);
        assert.equal(tlsaMatches(r, cert), true);
        assert.equal(tlsaMatches(r, other), false);
      }
    // matching type 0: the DER itself
    assert.deepEqual(tlsaFor(cert, 3, 0, 0).data, cert.raw);
    assert.equal(tlsaMatches(tlsaFor(cert, 2, 1, 0), cert), true);
    assert.equal(tlsaMatches(tlsaFor(cert, 2, 1, 0), other), false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the RFC 6698 §2.3 example records are read as usable; unknown usages, selectors, matching types and wrong digest lengths are not (§4.1)', () => {
    const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
    // RFC 6698 §2.3: "0 0 1 d2abde24…" and "1 1 2 92003ba3…" (the certificates are not in the RFC; their shape is)
    const ex1: Tlsa = { usage: 0, selector: 0, matching: 1, data: hex('d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971') };
    const ex2: Tlsa = {
      usage: 1,
      selector: 1,
      matching: 2,
      data: hex('92003ba34942dc74152e2f2c408d29eca5a520e7f2e06bb944f4dca346baf63c1b177615d466f6c4b71c216a50292bd58c9ebdd2f74e38fe51ffd48c43326cbc'),
    };
    const bad: Tlsa[] = [
      { usage: 4, selector: 0, matching: 1, data: ex1.data },
      { usage: 3, selector: 2, matching: 1, data: ex1.data },
      { usage: 3, selector: 1, matching: 3, data: ex1.data },
      { usage: 3, selector: 1, matching: 1, data: ex1.data.subarray(1) },
      { usage: 3, selector: 1, matching: 2, data: ex1.data },
      { usage: 3, selector: 1, matching: 0, data: Buffer.alloc(0) },
    ];
    assert.deepEqual(usableTlsa([ex1, ex2, ...bad]), [ex1, ex2]);
  });

  it('digest agility (RFC 7671 §9): with SHA-512 published for a usage and selector, SHA-256 ones for it are ignored', () => {
    const s256 = tlsaFor(other, 3, 1, 1);
    const s512 = tlsaFor(cert, 3, 1, 2);
    const full = tlsaFor(other, 3, 1, 0);
    const otherUsage = tlsaFor(other, 2, 1, 1);
    assert.deepEqual(usableTlsa([s256, s512, full, otherUsage]), [s512, full, otherUsage]);
    assert.deepEqual(usableTlsa([s256]), [s256]);
  });
});
