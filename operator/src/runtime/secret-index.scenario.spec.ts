import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLoadSource } from '../autoscaler/load-source.js';
import { NS, TestCluster, sampleCluster, waitFor } from '../testing/harness.js';
import { createLogger } from './logger.js';
import { SecretIndex } from './secret-index.js';

const OTHER = 'glider-other';
const UNWATCHED = 'glider-unwatched';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const clusters = (ns: string) => `/apis/glider.im/v1alpha1/namespaces/${ns}/xmppclusters`;

describe('the Secrets the operator caches, and the namespaces it watches', { timeout: 120_000 }, () => {
  let k: TestCluster;
  const secret = (ns: string, name: string, labels: Record<string, string> = {}) =>
    k.request('POST', `/api/v1/namespaces/${ns}/secrets`, { metadata: { name, labels }, data: { credentials: b64('u:p') } });
  const phase = async (ns: string, name: string) => (await k.request('GET', `${clusters(ns)}/${name}`)).body?.status?.phase;

  before(async () => {
    k = await new TestCluster().start();
    for (const ns of [OTHER, UNWATCHED]) assert.equal((await k.request('POST', '/api/v1/namespaces', { metadata: { name: ns } })).code, 201);
    // Other teams' Secrets, in a watched namespace and elsewhere: never the operator's business.
    assert.equal((await secret(NS, 'team-db-password')).code, 201);
    assert.equal((await secret(OTHER, 'team-api-key')).code, 201);
    assert.equal((await secret(NS, 'team-labelled', { 'app.kubernetes.io/managed-by': 'helm' })).code, 201);
  });
  after(async () => k.stop());

  it('caches only its own Secrets (label) and the ones a cluster names (by name), each watched by name', async () => {
    const index = new SecretIndex(k.kubeConfig(), [NS], 'app.kubernetes.io/managed-by=glider-operator', () => undefined, createLogger('silent'));
    await index.start();
    try {
      assert.equal((await secret(NS, 'mine', { 'app.kubernetes.io/managed-by': 'glider-operator' })).code, 201);
      await waitFor('own Secret cached', () => index.get('mine', NS));
      await index.track(`${NS}/c`, [{ namespace: NS, name: 'team-db-password' }]);
      assert.ok(index.get('team-db-password', NS), 'a named Secret is there once track() returns');
      assert.deepEqual(index.namedWatches, [`${NS}/team-db-password`]);
      assert.deepEqual(
        index
          .list()
          .map((s) => s.metadata!.name)
          .sort(),
        ['mine', 'team-db-password'],
        'nothing else: not the unlabelled, not the other manager, not other namespaces',
      );
      await index.track(`${NS}/c`, []);
      assert.deepEqual(index.namedWatches, [], 'no longer named: its watch stops');
      assert.equal(index.get('team-db-password', NS), undefined);
    } finally {
      await index.stop();
    }
  });

  it('reconciles XmppClusters in each watched namespace and none elsewhere; a named Secret appearing clears Degraded', async () => {
    const m = await k.startManager(() => new MemoryLoadSource(), { watchNamespace: '', watchNamespaces: [NS, OTHER] });
    const spec = { nats: { url: 'nats://nats:4222', credentialsSecretRef: { name: 'nats-creds', key: 'credentials' } } };
    for (const ns of [NS, OTHER, UNWATCHED]) assert.equal((await k.request('POST', clusters(ns), sampleCluster('multi', spec))).code, 201);
    await waitFor('Degraded in both watched namespaces', async () => (await phase(NS, 'multi')) === 'Degraded' && (await phase(OTHER, 'multi')) === 'Degraded');
    assert.deepEqual(m.namedSecretWatches, [`${NS}/nats-creds`, `${OTHER}/nats-creds`].sort());
    assert.equal((await secret(OTHER, 'nats-creds')).code, 201);
    await waitFor('Ready once the named Secret exists', async () => (await phase(OTHER, 'multi')) === 'Ready', 20_000);
    assert.equal(await phase(NS, 'multi'), 'Degraded', 'the other cluster still lacks its Secret');
    const unwatched = (await k.request('GET', `${clusters(UNWATCHED)}/multi`)).body;
    assert.equal(unwatched.status, undefined, 'a namespace not watched is not reconciled');
    assert.equal(unwatched.metadata.finalizers, undefined);
  });
});
