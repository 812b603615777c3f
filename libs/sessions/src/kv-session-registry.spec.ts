import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InProcessBus } from '#libs/bus';
import { createSessionRegistry, ownedPresence } from './kv-session-registry.js';
import type { SessionInfo } from './session-registry.js';

const logger = { error: () => undefined, warn: () => undefined };

test('ownedPresence copies a view into a larger allocation and leaves owned bytes alone', () => {
  const base: SessionInfo = { jid: 'a@x/r', edgeId: 'e', sessionId: 's', priority: 0, available: true, interested: false, boundAtMs: 1 };
  assert.equal(ownedPresence(base), base, 'no presence: same object');
  const owned = { ...base, lastPresence: new TextEncoder().encode('<presence/>') };
  assert.equal(ownedPresence(owned), owned, 'already exact: same object');
  const pooled = { ...base, lastPresence: Buffer.from('<presence/>', 'utf8') };
  assert.ok(pooled.lastPresence.buffer.byteLength > pooled.lastPresence.byteLength, 'Buffer.from(string) is a pool slice');
  const copy = ownedPresence(pooled);
  assert.notEqual(copy.lastPresence!.buffer, pooled.lastPresence.buffer);
  assert.equal(copy.lastPresence!.buffer.byteLength, pooled.lastPresence.byteLength);
  assert.deepEqual(Buffer.from(copy.lastPresence!), Buffer.from(pooled.lastPresence));
  assert.equal(pooled.lastPresence.byteLength, 11, "the caller's object is not changed");
});

test("the registry cache does not keep a view that pins the caller's buffer pool", async () => {
  const bus = new InProcessBus({ logger: { error: () => undefined } });
  try {
    const reg = createSessionRegistry(bus, { logger });
    const jid = 'pin@example.com/r';
    await reg.bind({ jid, edgeId: 'e', sessionId: 's1', priority: 0, available: false, interested: false, boundAtMs: Date.now() }, 'replace');
    const bytes = Buffer.from('<presence><show>away</show></presence>', 'utf8');
    assert.equal(await reg.update(jid, 's1', { available: true, lastPresence: bytes }), true);
    const got = (await reg.get(jid))!.lastPresence!;
    assert.equal(got.buffer.byteLength, got.byteLength, 'cached presence owns exactly its bytes');
    assert.equal(Buffer.from(got).toString('utf8'), '<presence><show>away</show></presence>');
  } finally {
    await bus.close();
  }
});
