import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { MemoryLoadSource } from '../autoscaler/load-source.js';
import { ControlPlane } from '../testing/control-plane/control-plane.js';
import { NS, TestCluster, backend, clustersPath, sampleCluster, waitFor } from '../testing/harness.js';

const template = readFileSync(new URL('../../../../charts/glider/templates/operator/rbac.yaml', import.meta.url), 'utf8');
const rbac = 'rbac.authorization.k8s.io';

/** The rules the chart grants, read from its template (plain YAML inside the defines). */
function chartRules(): { operator: unknown[]; leaderElection: unknown[] } {
  const start = template.indexOf('{{- define "glider.operatorRules" }}');
  const body = template.slice(template.indexOf('\n', start) + 1, template.indexOf('{{- end }}', start));
  const le = template.indexOf('rules:', template.indexOf('-leader-election'));
  const leBody = template.slice(le, template.indexOf('---', le));
  return { operator: parse(body) as unknown[], leaderElection: (parse(leBody) as { rules: unknown[] }).rules };
}

describe(
  "the operator with nothing but the chart's RBAC (kube-apiserver authorizes; the emulator does not)",
  { skip: backend === 'kube' ? false : 'needs OPERATOR_TEST_API=kube', timeout: 120_000 },
  () => {
    let k: TestCluster;
    let kc: KubeConfig;
    before(async () => {
      k = await new TestCluster().start();
      const rules = chartRules();
      const subject = [{ kind: 'User', name: 'glider-operator', apiGroup: rbac }];
      const created = await Promise.all([
        k.request('POST', `/apis/${rbac}/v1/clusterroles`, { metadata: { name: 'glider-operator' }, rules: rules.operator }),
        k.request('POST', `/apis/${rbac}/v1/clusterrolebindings`, {
          metadata: { name: 'glider-operator' },
          roleRef: { apiGroup: rbac, kind: 'ClusterRole', name: 'glider-operator' },
          subjects: subject,
        }),
        k.request('POST', `/apis/${rbac}/v1/namespaces/${NS}/roles`, { metadata: { name: 'glider-operator-leader-election' }, rules: rules.leaderElection }),
        k.request('POST', `/apis/${rbac}/v1/namespaces/${NS}/rolebindings`, {
          metadata: { name: 'glider-operator-leader-election' },
          roleRef: { apiGroup: rbac, kind: 'Role', name: 'glider-operator-leader-election' },
          subjects: subject,
        }),
      ]);
      for (const r of created) assert.equal(r.code, 201, JSON.stringify(r.body));
      kc = new KubeConfig();
      kc.loadFromString((k.api as ControlPlane).kubeconfig(NS, (k.api as ControlPlane).operatorToken));
    });
    after(async () => k?.stop());

    it('its identity is really limited: what the chart does not grant is refused', async () => {
      const review = await k.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
        spec: { user: 'glider-operator', resourceAttributes: { verb: 'list', resource: 'nodes' } },
      });
      assert.equal(review.code, 201, JSON.stringify(review.body));
      assert.equal(review.body.status.allowed, false);
    });

    it('watching every namespace: leads, reconciles to Ready, reads a Secret it is named, records Events, deletes labelled PVCs', async () => {
      const m = await k.startManager(() => new MemoryLoadSource(), { kubeConfig: kc, watchNamespace: '' });
      await waitFor('leads', () => m.isLeader, 15_000);
      const spec = { deletePersistentVolumeClaims: true, nats: { url: 'nats://nats:4222', credentialsSecretRef: { name: 'creds', key: 'credentials' } } };
      assert.equal((await k.request('POST', clustersPath, sampleCluster('rbac', spec))).code, 201);
      await waitFor(
        'Degraded: Secret not found',
        () => k.cluster('rbac')?.status?.conditions?.find((c: any) => c.type === 'Degraded')?.reason === 'SecretNotFound',
      );
      await waitFor('its Warning Event', () => k.list('events').some((e) => e.involvedObject.name === 'rbac' && e.reason === 'SecretNotFound'));
      const secret = { metadata: { name: 'creds' }, data: { credentials: Buffer.from('u:p').toString('base64') } };
      assert.equal((await k.request('POST', `/api/v1/namespaces/${NS}/secrets`, secret)).code, 201);
      await waitFor('Ready', () => k.cluster('rbac')?.status?.phase === 'Ready', 30_000);
      const pvc = {
        metadata: { name: 'rbac-data', labels: { 'glider.im/cluster': 'rbac' } },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
      };
      assert.equal((await k.request('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, pvc)).code, 201);
      assert.equal((await k.request('DELETE', `${clustersPath}/rbac`)).code, 200);
      await waitFor('cluster and PVC gone', () => k.cluster('rbac') === undefined && k.get('persistentvolumeclaims', 'rbac-data') === undefined, 30_000);
    });
  },
);
