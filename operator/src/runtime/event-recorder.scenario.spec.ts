import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubernetesObjectApi } from '@kubernetes/client-node';
import { MemoryLoadSource } from '../autoscaler/load-source.js';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from '../testing/harness.js';
import { EventRecorder, type EventTarget } from './event-recorder.js';
import { createLogger } from './logger.js';

describe('Events counted as client-go records them (against the harness API server)', { timeout: 120_000 }, () => {
  let k: TestCluster;
  let api: KubernetesObjectApi;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const now = () => new Date(clock);
  const target = (name: string): EventTarget => {
    const cm = k.get('configmaps', name);
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: cm.metadata };
  };
  const eventsOf = (name: string) => k.list('events').filter((e) => e.involvedObject.name === name && e.involvedObject.kind === 'ConfigMap');

  before(async () => {
    k = await new TestCluster().start();
    api = KubernetesObjectApi.makeApiClient(k.kubeConfig());
    for (const name of ['flap', 'many', 'gone'])
      assert.equal((await k.request('POST', `/api/v1/namespaces/${NS}/configmaps`, { metadata: { name }, data: {} })).code, 201);
  });
  after(async () => k.stop());

  it('the same reason, object and message again: one Event, count and lastTimestamp move (PATCH)', async () => {
    const r = new EventRecorder(api, createLogger('silent'), { component: 'glider-operator', now });
    for (let i = 0; i < 5; i++) {
      await r.record(target('flap'), 'Warning', 'ReconcileFailed', 'Secret glider/x not found');
      clock += 30_000;
    }
    await r.record(target('flap'), 'Warning', 'ReconcileFailed', 'Secret glider/y not found');
    const events = eventsOf('flap');
    assert.equal(events.length, 2, JSON.stringify(events.map((e) => [e.message, e.count])));
    const x = events.find((e) => e.message === 'Secret glider/x not found');
    assert.equal(x.count, 5);
    assert.equal(x.firstTimestamp, '2026-01-01T00:00:00Z');
    assert.equal(x.lastTimestamp, '2026-01-01T00:02:00Z');
    assert.equal(x.type, 'Warning');
    assert.equal(x.involvedObject.uid, k.get('configmaps', 'flap').metadata.uid);
    assert.equal(x.source.component, 'glider-operator');
    assert.equal(events.find((e) => e.message === 'Secret glider/y not found').count, 1);
  });

  it('past maxSimilar different messages, further ones fold into one aggregate Event', async () => {
    const r = new EventRecorder(api, createLogger('silent'), { component: 'glider-operator', now, maxSimilar: 3 });
    for (let i = 1; i <= 7; i++) await r.record(target('many'), 'Normal', 'ScaledDown', `edge ${i + 1} → ${i}`);
    const events = eventsOf('many');
    assert.equal(events.length, 4, JSON.stringify(events.map((e) => [e.message, e.count])));
    const combined = events.filter((e) => e.message.startsWith('(combined from similar events): '));
    assert.equal(combined.length, 1);
    assert.equal(combined[0].message, '(combined from similar events): edge 8 → 7');
    assert.equal(combined[0].count, 4);
  });

  it('an Event deleted meanwhile (its TTL ran out) is written anew', async () => {
    const r = new EventRecorder(api, createLogger('silent'), { component: 'glider-operator', now });
    await r.record(target('gone'), 'Normal', 'CertificateIssued', 'issued');
    const [first] = eventsOf('gone');
    assert.equal((await k.request('DELETE', `/api/v1/namespaces/${NS}/events/${first.metadata.name}`)).code, 200);
    await r.record(target('gone'), 'Normal', 'CertificateIssued', 'issued');
    const events = eventsOf('gone');
    assert.equal(events.length, 1);
    assert.notEqual(events[0].metadata.name, first.metadata.name);
    assert.equal(events[0].count, 1);
  });

  it('a reconcile that keeps failing on the same problem leaves one Warning Event, counted, not one per pass', async () => {
    await k.startManager(() => new MemoryLoadSource());
    const spec = { nats: { url: 'nats://nats:4222', credentialsSecretRef: { name: 'absent', key: 'credentials' } } };
    assert.equal((await k.request('POST', clustersPath, sampleCluster('stuck', spec))).code, 201);
    const warnings = () => k.list('events').filter((e) => e.involvedObject.name === 'stuck' && e.type === 'Warning');
    await waitFor('a SecretNotFound Warning', () => warnings().length > 0);
    // Each change of the cluster is another reconcile pass that finds the same problem.
    for (let i = 1; i <= 3; i++) {
      await k.request('PATCH', `${clustersPath}/stuck`, { metadata: { annotations: { pass: String(i) } } }, 'application/merge-patch+json');
      await waitFor(`pass ${i} counted`, () => (warnings()[0]?.count ?? 0) > i);
    }
    const [w, ...more] = warnings();
    assert.equal(more.length, 0, JSON.stringify(warnings().map((e) => [e.reason, e.count])));
    assert.equal(w.reason, 'SecretNotFound');
    assert.match(w.message, /nats\.credentialsSecretRef: Secret glider\/absent not found/);
    assert.ok(w.count >= 4, `count ${w.count}`);
  });
});
