import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xmppClusterSpec } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { deployment } from './deployment.js';

const cluster = (spec: object = {}): XmppCluster => ({
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: 'glider', uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://m:27017' }, ...spec }),
});
const inputs = { replicas: 1, configHash: 'h', tlsSecretName: 'chat-tls', adminTokenSecretName: 'chat-admin-token', image: { repository: 'r', tag: 't' } };

function nodeOptionsOf(x: XmppCluster, c: 'edge' | 'router'): string {
  const env = deployment(x, c, x.spec.components[c], inputs).spec.template.spec.containers[0]!.env as { name: string; value?: string }[];
  return env.find((e) => e.name === 'NODE_OPTIONS')!.value!;
}

describe("the pods' NODE_OPTIONS (libs/runtime node-options.ts)", () => {
  it('caps the young generation when the container has no memory limit or one of 2 GiB and more', () => {
    assert.equal(nodeOptionsOf(cluster(), 'edge'), '--enable-source-maps --max-semi-space-size=32');
    const big = cluster({ components: { edge: { resources: { limits: { memory: '4Gi' } } } } });
    assert.equal(nodeOptionsOf(big, 'edge'), '--enable-source-maps --max-semi-space-size=32');
    assert.equal(nodeOptionsOf(big, 'router'), '--enable-source-maps --max-semi-space-size=32');
  });

  it('leaves V8 its own, smaller young generation under a smaller limit (a ceiling, never a raise)', () => {
    const small = cluster({ components: { router: { resources: { requests: { memory: '256Mi' }, limits: { memory: '1Gi' } } } } });
    assert.equal(nodeOptionsOf(small, 'router'), '--enable-source-maps');
    assert.equal(nodeOptionsOf(small, 'edge'), '--enable-source-maps --max-semi-space-size=32', 'per component');
    const decimal = cluster({ components: { router: { resources: { limits: { memory: '1500M' } } } } });
    assert.equal(nodeOptionsOf(decimal, 'router'), '--enable-source-maps');
  });
});
