import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DialbackSecret } from './dialback-secret.js';

const pem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });

test('two edges with the same TLS key hold the same secret; another key gives another; the key itself is not the secret', () => {
  const key = pem();
  const a = new DialbackSecret(undefined, key);
  assert.equal(a.get(), new DialbackSecret(undefined, key).get());
  assert.notEqual(a.get(), new DialbackSecret(undefined, pem()).get());
  assert.match(a.get(), /^[0-9a-f]{64}$/);
  assert.ok(!key.includes(a.get()));
});

test('no TLS key: a random secret for this process (XEP-0185 §2), kept across rotations without a key', () => {
  const s = new DialbackSecret(undefined, undefined);
  assert.match(s.get(), /^[0-9a-f]{64}$/);
  assert.notEqual(s.get(), new DialbackSecret(undefined, undefined).get());
  s.rotate(undefined);
  assert.deepEqual(s.all(), [s.get()]);
});

test('a certificate rotation makes a new secret and keeps the previous one for verifying', () => {
  const s = new DialbackSecret(undefined, pem());
  const before = s.get();
  s.rotate(pem());
  assert.notEqual(s.get(), before);
  assert.deepEqual(s.all(), [s.get(), before]);
});

test('s2s.dialbackSecretFile wins and is kept across rotations; an empty file is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'glider-db-secret-'));
  try {
    writeFileSync(join(dir, 'secret'), 'shared-by-every-edge\n');
    const s = new DialbackSecret(join(dir, 'secret'), pem());
    assert.equal(s.get(), 'shared-by-every-edge');
    s.rotate(pem());
    assert.deepEqual(s.all(), ['shared-by-every-edge']);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.throws(() => new DialbackSecret(join(dir, 'empty'), pem()), /is empty/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
