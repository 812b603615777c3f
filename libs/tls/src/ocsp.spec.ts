import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, tempDir } from '#libs/testing';
import { buildOcspRequest, isSuccessfulOcspResponse, ocspUrlOf } from './ocsp-request.js';
import { OcspStapler } from './ocsp-stapler.js';
import { makeTestPki } from './testing/test-pki.js';

const chainOf = (file: string): [Buffer, Buffer] => {
  const [leaf, ca] = readFileSync(file, 'utf8').split(/(?=-----BEGIN CERTIFICATE-----)/);
  return [new X509Certificate(leaf!).raw, new X509Certificate(ca!).raw];
};

test('OCSP request: byte for byte what `openssl ocsp -no_nonce -reqout` makes; AIA URL read', async () => {
  const dir = tempDir('glider-ocsp-');
  try {
    const port = await freePort();
    const pki = makeTestPki(dir.path, port);
    const [leaf, ca] = chainOf(pki.chainFile);
    execFileSync('openssl', ['ocsp', '-issuer', 'ca.crt', '-cert', 'server.crt', '-no_nonce', '-reqout', 'ref.der'], { cwd: dir.path, stdio: 'ignore' });
    assert.deepEqual(buildOcspRequest(leaf, ca), readFileSync(join(dir.path, 'ref.der')));
    assert.equal(ocspUrlOf(leaf), `http://127.0.0.1:${port}`);
    assert.equal(ocspUrlOf(ca), undefined);
    assert.equal(isSuccessfulOcspResponse(Buffer.from('3003 0a0101'.replace(' ', ''), 'hex')), false, 'malformedRequest(1)');
  } finally {
    dir.remove();
  }
});

test('OcspStapler: fetches once, caches, and without a responder goes on with no staple', async () => {
  const dir = tempDir('glider-ocsp-');
  const pki = makeTestPki(dir.path, await freePort());
  const [leaf, ca] = chainOf(pki.chainFile);
  const warnings: string[] = [];
  const stapler = new OcspStapler({
    refreshMs: 3_600_000,
    timeoutMs: 5_000,
    retryMs: 3_600_000,
    logger: { info: () => undefined, warn: (_o, m) => warnings.push(m) },
  });
  try {
    assert.equal(await stapler.staple(leaf, ca), undefined, 'responder not running: no staple');
    assert.equal(warnings.length, 1);
    const responder = await pki.startResponder();
    try {
      const fresh = new OcspStapler({ refreshMs: 3_600_000, timeoutMs: 5_000, retryMs: 1000 });
      const first = await fresh.staple(leaf, ca);
      assert.ok(first && isSuccessfulOcspResponse(first));
      writeFileSync(join(dir.path, 'staple.der'), first);
      const text = execFileSync('openssl', ['ocsp', '-respin', 'staple.der', '-resp_text', '-noverify'], {
        cwd: dir.path,
        stdio: ['ignore', 'pipe', 'pipe'],
      }).toString();
      assert.match(text, /Cert Status: good/);
      responder.kill();
      await new Promise((r) => responder.once('exit', r));
      assert.equal(await fresh.staple(leaf, ca), first, 'served from the cache');
      assert.equal(await fresh.staple(leaf, null), undefined, 'no issuer: no staple');
    } finally {
      responder.kill();
    }
  } finally {
    dir.remove();
  }
});
