import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLoadSource } from '../autoscaler/load-source.js';
import { TestCluster, clustersPath, sampleCluster, waitFor } from '../testing/harness.js';
import { testMeter } from '../testing/metrics.js';

describe('leader election over a Lease', { timeout: 60_000 }, () => {
  let k: TestCluster;
  before(async () => {
    k = await new TestCluster().start();
  });
  after(async () => k.stop());

  it('one replica reconciles; when it is lost, another takes over', async () => {
    const a = await k.startManager(() => new MemoryLoadSource());
    await waitFor('a leads', () => a.isLeader);
    const bMetrics = testMeter();
    const b = await k.startManager(() => new MemoryLoadSource(), { meter: bMetrics.meter });
    await k.request('POST', clustersPath, sampleCluster('ha'));
    await waitFor('Ready under a', () => k.cluster('ha')?.status?.phase === 'Ready');
    assert.equal(b.isLeader, false);
    assert.equal(k.get('leases', 'glider-operator', 'coordination.k8s.io/v1').spec.holderIdentity, 'operator-0');

    await a.abandon(); // crashed: the Lease is not released and must expire
    await waitFor('b leads', () => b.isLeader, 15_000);
    const lease = k.get('leases', 'glider-operator', 'coordination.k8s.io/v1');
    assert.equal(lease.spec.holderIdentity, 'operator-1');
    assert.equal(lease.spec.leaseTransitions, 1);
    await k.request('PATCH', `${clustersPath}/ha`, { spec: { components: { router: { replicas: 4 } } } }, 'application/merge-patch+json');
    await waitFor('b reconciles', () => k.get('deployments', 'ha-router', 'apps/v1')?.spec?.replicas === 4);
    const text = await bMetrics.text();
    assert.match(text, /^glider_operator_leader(\{[^}]*\})? 1$/m);
    assert.match(text, /^glider_operator_reconcile_total\{result="ok"[^}]*\} [1-9]/m);
    assert.match(text, /^glider_operator_xmppclusters(\{[^}]*\})? 1$/m);
  });

  it('a graceful stop releases the Lease at once', async () => {
    const b = k.managers[1]!;
    const c = await k.startManager(() => new MemoryLoadSource());
    await b.stop();
    await waitFor('c leads', () => c.isLeader, 5_000);
  });
});
