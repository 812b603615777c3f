import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xmppClusterSpec } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { MAX_ANNOTATIONS_BYTES, isQualifiedName, podMetadataProblems } from './pod-metadata.js';

const cluster = (components: object): XmppCluster => ({
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'c', namespace: 'n' },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://n:4222' }, mongodb: { url: 'mongodb://m' }, components }),
});

describe('pod label and annotation keys (Kubernetes qualified names)', () => {
  it('accepts what the API server accepts and refuses what it refuses', () => {
    for (const ok of [
      'tier',
      'app.kubernetes.io/part-of',
      'example.com/team',
      'a',
      'A_b.c-9',
      `${'x'.repeat(63)}`,
      `${'p'.repeat(63)}.example/${'n'.repeat(63)}`,
    ])
      assert.ok(isQualifiedName(ok), ok);
    for (const bad of ['', 'bad key', '-tier', 'tier-', `${'x'.repeat(64)}`, 'Example.COM/x', '/x', 'a/b/c', 'example.com/', 'ex_ample.com/x'])
      assert.ok(!isQualifiedName(bad), bad);
  });

  it('names the component, the field and the key; counts the annotations’ bytes', () => {
    assert.deepEqual(podMetadataProblems(cluster({ edge: { podLabels: { tier: 'x' }, podAnnotations: { 'example.com/a': 'b' } } })), []);
    const problems = podMetadataProblems(
      cluster({ router: { podAnnotations: { 'no spaces': 'x' } }, presence: { podAnnotations: { big: 'v'.repeat(MAX_ANNOTATIONS_BYTES) } } }),
    );
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^components\.router\.podAnnotations: "no spaces" is not a valid key/);
    assert.match(problems[1]!, /^components\.presence\.podAnnotations: 262147 bytes, more than the 262144 Kubernetes allows$/);
  });
});
