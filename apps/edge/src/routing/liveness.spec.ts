import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { InProcessBus, buckets, keys } from '#libs/bus';
import { configSchema } from '#libs/config';
import type { EdgeContext } from '../edge.context.js';
import { EdgeLiveness } from './liveness.js';

/**
 * A stall past the heartbeat key's life (3 × bus.heartbeatMs) is noticed by the first delivery after
 * it, before the next heartbeat: deliveries get the fence in progress to wait for, and nothing once
 * it is done (routing/liveness.ts; the chaos row "SIGSTOP receiver's edge" shows what it prevents).
 */
test('a stall past the heartbeat key life: stalled() gives the fence in progress, then nothing', async () => {
  const bus = new InProcessBus();
  const config = configSchema.parse({ bus: { heartbeatMs: 100 } });
  const ctx = { config, edgeId: 'edge-t', logger: pino({ level: 'silent' }), bus, sessions: new Map() } as unknown as EdgeContext;
  const edges = await bus.kv(buckets.edges);
  let now = 1_000;
  const liveness = new EdgeLiveness(ctx, edges, () => now);
  try {
    await liveness.beat();
    const first = (await edges.get(keys.edge('edge-t')))!.revision;
    now += 250; // a slow turn, within the key's life (300 ms)
    assert.equal(liveness.stalled(), undefined);
    liveness.tick();
    now += 301; // stalled past it
    const fence = liveness.stalled();
    assert.ok(fence instanceof Promise, 'deliveries wait for the fence');
    assert.equal(liveness.stalled(), fence, 'the same one for every delivery meanwhile');
    await fence;
    assert.equal(liveness.stalled(), undefined, 'delivering again once fenced');
    assert.ok((await edges.get(keys.edge('edge-t')))!.revision > first, 'the fence began with a heartbeat');
  } finally {
    await bus.close();
  }
});
