import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Autoscaler, rawRecommendation } from './autoscaler.js';

const a = { minReplicas: 2, maxReplicas: 10, targetConnectionsPerReplica: 100, targetStanzasPerSecondPerReplica: 500, stabilizationWindowSeconds: 60 };
const s = (connections: number, stanzasPerSecond = 0) => ({ component: 'edge', instance: 'e', connections, stanzasPerSecond, atMs: 0, draining: false });

describe('autoscaler', () => {
  it('asks for enough replicas for both connections and stanza rate, within bounds', () => {
    assert.equal(rawRecommendation(a, [s(250), s(200)], 2), 5);
    assert.equal(rawRecommendation(a, [s(10, 2600)], 2), 6);
    assert.equal(rawRecommendation(a, [s(5000)], 2), 10);
    assert.equal(rawRecommendation(a, [s(1)], 5), 2);
    assert.equal(rawRecommendation(a, [], 1), 2, 'no reports: current, clamped');
  });

  it('scales up at once and down only to the highest recommendation of the window', () => {
    const x = new Autoscaler();
    assert.equal(x.recommend('k', a, [s(800)], 2, 0), 8);
    assert.equal(x.recommend('k', a, [s(100)], 8, 10_000), 8, 'a dip inside the window does not scale down');
    assert.equal(x.recommend('k', a, [s(300)], 8, 30_000), 8);
    assert.equal(x.recommend('k', a, [s(300)], 8, 65_000), 3, 'the 800 fell out of the window; highest left is 300');
    assert.equal(x.recommend('k', a, [s(100)], 3, 200_000), 2);
  });
});

describe('load book', () => {
  it('counts an edge as drained once it reported draining and then has no connections or restarted', async () => {
    const { LoadBook } = await import('./load-source.js');
    const b = new LoadBook(30_000);
    const r = (atMs: number, connections: number, draining: boolean) =>
      b.record({ component: 'edge', instance: 'e1', connections, stanzasPerSecond: 0, atMs, draining });
    r(1000, 50, false);
    assert.equal(b.drainedSince('edge', 'e1', 900, 1000), false);
    r(2000, 40, true);
    assert.equal(b.drainedSince('edge', 'e1', 900, 2000), false, 'still has clients');
    r(3000, 0, true);
    assert.equal(b.drainedSince('edge', 'e1', 900, 3000), true);
    r(4000, 0, false);
    assert.equal(b.drainedSince('edge', 'e1', 900, 4000), true, 'a restarted process after draining');
    assert.equal(b.drainedSince('edge', 'e1', 5000, 5000), false, 'a drain that started later has not been seen');
  });
});
