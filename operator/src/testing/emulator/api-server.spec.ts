import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { xmppClusterCrd } from '../../api/v1alpha1/crd.js';
import { ApiServer } from './api-server.js';

describe('API server emulator semantics', { timeout: 30_000 }, () => {
  const api = new ApiServer({ historyLimit: 50 });
  const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(api.url + path, {
      method,
      headers: { 'content-type': type },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    return { code: res.status, body: (await res.json()) as any };
  };
  const cms = '/api/v1/namespaces/t/configmaps';
  before(async () => {
    await api.start();
    await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', xmppClusterCrd());
  });
  after(async () => api.close());

  it('refuses a stale resourceVersion with 409 and a duplicate create with AlreadyExists', async () => {
    const c = await call('POST', cms, { metadata: { name: 'a' }, data: { k: '1' } });
    assert.equal(c.code, 201);
    const u = await call('PUT', `${cms}/a`, { ...c.body, data: { k: '2' } });
    assert.equal(u.code, 200);
    const stale = await call('PUT', `${cms}/a`, { ...c.body, data: { k: '3' } });
    assert.equal(stale.code, 409);
    assert.equal(stale.body.reason, 'Conflict');
    assert.equal((await call('POST', cms, { metadata: { name: 'a' } })).body.reason, 'AlreadyExists');
  });

  it('bumps generation on spec changes only and splits the status subresource', async () => {
    const base = '/apis/apps/v1/namespaces/t/deployments';
    const d = (await call('POST', base, { metadata: { name: 'd' }, spec: { replicas: 1 }, status: { replicas: 9 } })).body;
    assert.equal(d.metadata.generation, 1);
    assert.equal(d.status, undefined, 'status is ignored on create');
    const s = (await call('PUT', `${base}/d/status`, { ...d, spec: { replicas: 5 }, status: { replicas: 1 } })).body;
    assert.equal(s.spec.replicas, 1, 'spec is ignored on /status');
    assert.equal(s.metadata.generation, 1);
    const m = (await call('PATCH', `${base}/d`, { metadata: { labels: { a: 'b' } } }, 'application/merge-patch+json')).body;
    assert.equal(m.metadata.generation, 1, 'metadata changes do not bump generation');
    const g = (await call('PATCH', `${base}/d`, { spec: { replicas: 2 } }, 'application/merge-patch+json')).body;
    assert.equal(g.metadata.generation, 2);
    assert.equal(g.status.replicas, 1);
  });

  it('watches resume from a resourceVersion and answer 410 Gone once it is compacted', async () => {
    const rv = (await call('GET', cms)).body.metadata.resourceVersion;
    await call('POST', cms, { metadata: { name: 'w1', labels: { app: 'x' } } });
    await call('POST', cms, { metadata: { name: 'w2', labels: { app: 'y' } } });
    const ctrl = new AbortController();
    const res = await fetch(`${api.url}${cms}?watch=true&resourceVersion=${rv}&labelSelector=app%3Dx`, { signal: ctrl.signal });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    const ev = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!);
    assert.equal(ev.type, 'ADDED');
    assert.equal(ev.object.metadata.name, 'w1', 'label selector filters the replay');
    ctrl.abort();
    api.store.compact();
    const gone = await (await fetch(`${api.url}${cms}?watch=true&resourceVersion=${rv}`, { signal: AbortSignal.timeout(5000) })).text();
    assert.equal(JSON.parse(gone.split('\n')[0]!).object.code, 410);
  });

  it('lists by label selector (=, !=, in, notin, exists)', async () => {
    const names = async (sel: string) =>
      (await call('GET', `${cms}?labelSelector=${encodeURIComponent(sel)}`)).body.items.map((i: any) => i.metadata.name).sort();
    assert.deepEqual(await names('app=x'), ['w1']);
    assert.deepEqual(await names('app in (x,y)'), ['w1', 'w2']);
    assert.deepEqual(await names('app,app notin (x)'), ['w2']);
    assert.deepEqual(await names('app!=x,app'), ['w2']);
  });

  it('keeps an object with finalizers until they are removed, then collects its dependents', async () => {
    const owner = (await call('POST', cms, { metadata: { name: 'owner', finalizers: ['x/y'] } })).body;
    await call('POST', cms, { metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }] } });
    await call('DELETE', `${cms}/owner`);
    const marked = (await call('GET', `${cms}/owner`)).body;
    assert.ok(marked.metadata.deletionTimestamp);
    await call('PATCH', `${cms}/owner`, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    assert.equal((await call('GET', `${cms}/owner`)).code, 404);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await call('GET', `${cms}/dep`)).code, 404, 'dependent garbage-collected');
  });

  it('server-side apply: owns fields, conflicts without force, removes fields a manager stops sending', async () => {
    const applyAs = (mgr: string, body: unknown, force = false) =>
      call('PATCH', `${cms}/ssa?fieldManager=${mgr}${force ? '&force=true' : ''}`, body, 'application/apply-patch+yaml');
    const a = await applyAs('op', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: '1', b: '2' } });
    assert.equal(a.code, 201);
    const conflict = await applyAs('other', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: 'x' } });
    assert.equal(conflict.code, 409);
    assert.match(conflict.body.message, /conflict with "op": \.data\.a/);
    const shared = await applyAs('other', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { c: '3' } });
    assert.equal(shared.code, 200);
    const dropped = (await applyAs('op', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: '1' } })).body;
    assert.deepEqual(dropped.data, { a: '1', c: '3' });
    const forced = (await applyAs('other', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ssa' }, data: { a: 'x', c: '3' } }, true)).body;
    assert.equal(forced.data.a, 'x');
    assert.deepEqual(forced.metadata.managedFields.map((m: any) => m.manager).sort(), ['other']);
  });

  it('validates custom objects against the CRD schema: defaults, pruning, patterns, CEL rules, strict mode', async () => {
    const path = '/apis/glider.im/v1alpha1/namespaces/t/xmppclusters';
    const ok = await call('POST', path, {
      apiVersion: 'glider.im/v1alpha1',
      kind: 'XmppCluster',
      metadata: { name: 'x' },
      spec: { domains: ['a.example'], nats: { url: 'nats://n:4222' }, mongodb: { url: 'mongodb://m' }, bogus: 1 },
    });
    assert.equal(ok.code, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.spec.bogus, undefined, 'unknown fields pruned');
    assert.equal(ok.body.spec.tls.source, 'operator', 'defaults applied');
    assert.equal(ok.body.spec.components.edge.replicas, 2);
    const strict = await call('POST', `${path}?fieldValidation=Strict`, {
      apiVersion: 'glider.im/v1alpha1',
      kind: 'XmppCluster',
      metadata: { name: 'y' },
      spec: { domains: ['a.example'], nats: { url: 'nats://n' }, mongodb: { url: 'mongodb://m' }, replics: 2 },
    });
    assert.equal(strict.code, 422);
    assert.match(strict.body.message, /unknown field "spec\.replics"/);
    const missing = await call('POST', path, {
      apiVersion: 'glider.im/v1alpha1',
      kind: 'XmppCluster',
      metadata: { name: 'z' },
      spec: { domains: ['a.example'], mongodb: { url: 'mongodb://m', urlSecretRef: { name: 's', key: 'k' } } },
    });
    assert.equal(missing.code, 422);
    assert.match(missing.body.message, /spec\.nats: Required value/);
    assert.match(missing.body.message, /set exactly one of mongodb\.url and mongodb\.urlSecretRef/);
  });
});
