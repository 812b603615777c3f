import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { xmppClusterSpec } from '../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { createLogger } from '../../runtime/logger.js';
import { NS, TestCluster } from '../../testing/harness.js';
import { ensureAdminToken } from './admin-token.js';
import type { ControllerContext, Reader } from './context.js';

const cluster: XmppCluster = {
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: NS, uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://n:4222' }, mongodb: { url: 'mongodb://m:27017' } }),
};

/** A secrets cache that shows what the test says (e.g. nothing: the watch has not caught up yet). */
function readerOf(objects: KubernetesObject[]): Reader {
  return { list: () => objects, get: (name) => objects.find((o) => o.metadata?.name === name) };
}

describe('the admin token Secret (ensureAdminToken against the harness API server)', { timeout: 30_000 }, () => {
  let k: TestCluster;
  let ctx: (secrets: KubernetesObject[]) => ControllerContext;
  const token = (): string =>
    Buffer.from(k.get('secrets', 'chat-admin-token')?.data?.token ?? '', 'base64')
      .toString('utf8')
      .trim();
  before(async () => {
    k = await new TestCluster().start();
    const api = KubernetesObjectApi.makeApiClient(k.kubeConfig());
    // The Secret's owner must exist: on a real control plane the garbage collector deletes a Secret
    // whose ownerReference names no object (it did, between create and read, under CI load).
    const owner = await api.create({
      apiVersion: cluster.apiVersion,
      kind: cluster.kind,
      metadata: { name: cluster.metadata.name, namespace: NS },
      spec: cluster.spec,
    } as KubernetesObject);
    cluster.metadata.uid = owner.metadata!.uid!;
    ctx = (secrets) => ({ api, caches: { secrets: readerOf(secrets) }, log: createLogger('silent'), now: () => new Date() }) as unknown as ControllerContext;
  });
  after(async () => k.stop());

  it('is made once with a random token; a cache that has not seen it yet does not replace it', async () => {
    assert.deepEqual(await ensureAdminToken(ctx([]), cluster), []);
    const first = token();
    assert.match(first, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal(k.get('secrets', 'chat-admin-token').metadata.ownerReferences[0].uid, cluster.metadata.uid);
    assert.deepEqual(await ensureAdminToken(ctx([]), cluster), [], 'AlreadyExists is fine');
    assert.equal(token(), first, 'never replaced');
    assert.deepEqual(await ensureAdminToken(ctx([k.get('secrets', 'chat-admin-token')]), cluster), []);
    assert.equal(token(), first);
  });

  it('a Secret without a usable token blocks the rollout, naming it, and is left alone', async () => {
    const broken = { ...k.get('secrets', 'chat-admin-token'), data: { token: Buffer.from('short\n').toString('base64') } };
    const problems = await ensureAdminToken(ctx([broken]), cluster);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.reason, 'AdminTokenInvalid');
    assert.equal(problems[0]!.blocking, true);
    assert.match(problems[0]!.message, /chat-admin-token/);
  });
});
