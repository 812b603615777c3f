import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort, startNatsServer, tempDir, waitFor } from './index.js';

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

test('freePort gives a usable port', async () => {
  const p = await freePort();
  assert.ok(p > 0 && p < 65536);
  assert.equal(await accepts(p), false);
});

test('waitFor resolves once the condition holds and names what it waited for otherwise', async () => {
  let n = 0;
  await waitFor(() => ++n >= 3, { intervalMs: 1 });
  assert.equal(n, 3);
  await assert.rejects(
    waitFor(() => false, { timeoutMs: 50, intervalMs: 5, what: 'the moon' }),
    /the moon/,
  );
  await assert.rejects(
    waitFor(
      async () => {
        throw new Error('not yet');
      },
      { timeoutMs: 50, what: 'x' },
    ),
    /not yet/,
  );
});

test('tempDir makes and removes a directory', () => {
  const d = tempDir('glider-test-');
  writeFileSync(join(d.path, 'f'), 'x');
  d.remove();
  assert.equal(existsSync(d.path), false);
});

test('startNatsServer runs a server on a free port, restarts it on the same port, and stops it', async () => {
  const s = await startNatsServer();
  try {
    assert.equal(await accepts(s.port), true);
    assert.equal(s.url, `nats://127.0.0.1:${s.port}`);
    await s.restart();
    assert.equal(await accepts(s.port), true);
  } finally {
    await s.stop();
  }
  assert.equal(await accepts(s.port), false);
  assert.equal(existsSync(s.storeDir), false);
});
