import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buckets, keys } from '#libs/bus';
import { waitFor } from '#libs/testing';
import { RouterHarness } from '../testing/router-harness.js';

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start({ routers: 2 });
});
after(() => h.close());

test('sessions of an edge that stopped its heartbeat are removed, and ENDED is published once', async () => {
  const edges = await h.bus.kv(buckets.edges, { ttlMs: 3 * h.config.bus.heartbeatMs });
  const alive = h.edge('edge-alive');
  const dead = h.edge('edge-dead');
  await edges.put(keys.edge('edge-alive'), new TextEncoder().encode('1'));
  await edges.put(keys.edge('edge-dead'), new TextEncoder().encode('1'));
  const keepAlive = setInterval(() => void edges.put(keys.edge('edge-alive'), new TextEncoder().encode('1')), h.config.bus.heartbeatMs);
  try {
    const alice = await h.createUser('alice');
    const kept = await alive.bind(`${alice}/phone`);
    const lost = await dead.bind(`${alice}/pc`);
    await waitFor(async () => (await h.registry.get(lost.jid)) === undefined, { what: 'the dead edge swept' });
    assert.ok(await h.registry.get(kept.jid), 'a live edge keeps its sessions');
    await waitFor(() => h.toPresence.some((f) => f.session?.kind === 'ENDED'), { what: 'ENDED to presence' });
    const ended = h.toPresence.filter((f) => f.session?.kind === 'ENDED');
    assert.equal(ended.length, 1, 'two routers sweep, one publishes');
    assert.equal(ended[0]!.session!.jid, lost.jid);
    assert.equal(ended[0]!.session!.wasAvailable, true);
  } finally {
    clearInterval(keepAlive);
  }
});
