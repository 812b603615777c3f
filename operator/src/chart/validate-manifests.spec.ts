import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { xmppClusterCrd } from '../api/v1alpha1/crd.js';
import { xmppClusterSpec } from '../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../api/v1alpha1/types.js';
import { deployment } from '../controllers/xmppcluster/desired/deployment.js';
import { configMap, gliderConfig } from '../controllers/xmppcluster/desired/glider-config.js';
import { serviceAccount } from '../controllers/xmppcluster/desired/service-account.js';
import { podDisruptionBudget } from '../controllers/xmppcluster/desired/pod-disruption-budget.js';
import { componentService, internalService } from '../controllers/xmppcluster/desired/services.js';
import { adminTokenSecret } from '../controllers/xmppcluster/admin-token.js';
import { OpenApiValidator } from './openapi-validator.js';
import { validateManifests } from './validate-manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
writeFileSync(
  join(dir, 'api__v1_openapi.json'),
  JSON.stringify({
    components: {
      schemas: {
        cm: {
          'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'ConfigMap' }],
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { $ref: '#/components/schemas/meta' },
            data: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        meta: { type: 'object', properties: { name: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } } },
      },
    },
  }),
);

describe('rendered manifest validation', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));
  const v = new OpenApiValidator(dir);

  it('accepts a valid object and reports unknown fields and wrong types with their path', () => {
    const ok = validateManifests(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'v' } }), v);
    assert.deepEqual(ok.problems, []);
    const bad = validateManifests(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', lables: {} }, data: { k: 1 } }), v);
    assert.deepEqual(bad.problems.sort(), ['ConfigMap/a: .data.k: expected string, got integer (1)', 'ConfigMap/a: .metadata.lables: unknown field']);
  });

  it('validates custom resources against the CRD rendered with them', () => {
    const cr = {
      apiVersion: 'glider.im/v1alpha1',
      kind: 'XmppCluster',
      metadata: { name: 'x' },
      spec: { domains: ['BAD'], nats: { url: 'nats://n' }, mongodb: { url: 'mongodb://m' } },
    };
    const r = validateManifests([stringify(xmppClusterCrd()), stringify(cr)].join('---\n'), v);
    const mine = r.problems.filter((p) => p.startsWith('XmppCluster/'));
    assert.equal(mine.length, 1);
    assert.match(mine[0]!, /spec\.domains\[0\].*should match/);
  });

  const real = process.env['K8S_SCHEMA_DIR'] ?? join(homedir(), '.cache/glider/k8s-openapi/v1.33.4');
  it(
    'the operator-built children are valid Kubernetes objects',
    { skip: !existsSync(real) && 'Kubernetes OpenAPI schemas not fetched (scripts/ci/install-helm.sh)' },
    () => {
      const k8s = new OpenApiValidator(real);
      const x: XmppCluster = {
        apiVersion: 'glider.im/v1alpha1',
        kind: 'XmppCluster',
        metadata: { name: 'chat', namespace: 'glider', uid: 'u' },
        spec: xmppClusterSpec.parse({
          domains: ['example.com'],
          nats: { url: 'nats://n:4222', credentialsSecretRef: { name: 'n', key: 'c' } },
          mongodb: { urlSecretRef: { name: 'm', key: 'url' }, credentialsSecretRef: { name: 'm', key: 'c' } },
          imagePullSecrets: [{ name: 'regcred' }],
          serviceAccount: { annotations: { 'iam.example.com/role': 'glider' } },
          components: {
            edge: {
              nodeSelector: { a: 'b' },
              tolerations: [{ key: 'k', operator: 'Exists' }],
              resources: { limits: { memory: '1Gi' } },
              affinity: {
                podAntiAffinity: {
                  preferredDuringSchedulingIgnoredDuringExecution: [
                    { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { tier: 'xmpp' } } } },
                  ],
                },
              },
              topologySpreadConstraints: [
                { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', matchLabelKeys: ['pod-template-hash'] },
              ],
              priorityClassName: 'xmpp-critical',
              podAnnotations: { 'example.com/team': 'chat' },
              podLabels: { tier: 'xmpp' },
            },
          },
        }),
      };
      const objs = [
        configMap(x, gliderConfig(x)),
        deployment(x, 'edge', x.spec.components.edge, {
          replicas: 2,
          configHash: 'h',
          tlsSecretName: 'chat-tls',
          adminTokenSecretName: 'chat-admin-token',
          image: { repository: 'r', tag: 't' },
        }),
        deployment(x, 'router', x.spec.components.router, {
          replicas: 2,
          configHash: 'h',
          tlsSecretName: 'chat-tls',
          adminTokenSecretName: 'chat-admin-token',
          image: { repository: 'r', tag: 't' },
        }),
        componentService(x, 'edge')!,
        internalService(x, 'router')!,
        adminTokenSecret(x),
        podDisruptionBudget(x, 'edge', x.spec.components.edge),
        serviceAccount(x)!,
      ];
      for (const o of objs) assert.deepEqual(k8s.validate(o as Record<string, unknown>), [], `${o.kind}`);
    },
  );
});
