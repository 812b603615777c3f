import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryLoadSource } from '../../autoscaler/load-source.js';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from '../../testing/harness.js';

const path = (name: string) => `${clustersPath}/${name}`;

describe('pod settings per component and the apps ServiceAccount, against the API server', { timeout: 60_000 }, () => {
  let k: TestCluster;
  before(async () => {
    k = await new TestCluster({ tls: true }).start();
    await k.startManager(() => new MemoryLoadSource());
  });
  after(async () => k.stop());

  it('puts affinity, topology spread, priority class, pull Secrets, pod labels and annotations in the pods', async () => {
    const antiAffinity = {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'edge' } } },
          },
        ],
      },
    };
    const created = await k.request(
      'POST',
      clustersPath,
      sampleCluster('pods', {
        imagePullSecrets: [{ name: 'registry-creds' }],
        components: {
          edge: {
            affinity: antiAffinity,
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
              { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { tier: 'xmpp' } } },
            ],
            priorityClassName: 'xmpp-critical',
            podAnnotations: { 'example.com/team': 'chat', 'glider.im/config-hash': 'mine' },
            podLabels: { tier: 'xmpp', 'app.kubernetes.io/part-of': 'chat' },
          },
        },
      }),
    );
    assert.equal(created.code, 201, JSON.stringify(created.body));
    const d = await waitFor('Deployment pods-edge', () => k.get('deployments', 'pods-edge', 'apps/v1'));
    const tpl = d.spec.template;
    assert.deepEqual(tpl.spec.affinity, antiAffinity);
    assert.deepEqual(tpl.spec.topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: d.spec.selector.matchLabels },
      },
      { maxSkew: 2, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { tier: 'xmpp' } } },
    ]);
    assert.equal(tpl.spec.priorityClassName, 'xmpp-critical');
    assert.deepEqual(tpl.spec.imagePullSecrets, [{ name: 'registry-creds' }]);
    assert.equal(tpl.metadata.labels.tier, 'xmpp');
    assert.equal(tpl.metadata.labels['app.kubernetes.io/part-of'], 'chat');
    for (const [key, value] of Object.entries(d.spec.selector.matchLabels)) assert.equal(tpl.metadata.labels[key], value, `selector label ${key} kept`);
    assert.equal(tpl.metadata.annotations['example.com/team'], 'chat');
    assert.notEqual(tpl.metadata.annotations['glider.im/config-hash'], 'mine', 'the operator’s config hash wins');
    // The settings are per component: the router has none of them (pull Secrets are the cluster's).
    const router = (await waitFor('Deployment pods-router', () => k.get('deployments', 'pods-router', 'apps/v1'))).spec.template;
    assert.equal(router.spec.affinity, undefined);
    assert.equal(router.spec.priorityClassName, undefined);
    assert.equal(router.metadata.labels.tier, undefined);
    assert.deepEqual(router.spec.imagePullSecrets, [{ name: 'registry-creds' }]);
  });

  it('runs the apps as <cluster>-app with no API token, or as a named ServiceAccount (the made one is then removed)', async () => {
    await k.request('POST', clustersPath, sampleCluster('sa', { serviceAccount: { annotations: { 'iam.example.com/role': 'glider' } } }));
    const sa = await waitFor('ServiceAccount sa-app', () => k.get('serviceaccounts', 'sa-app'));
    assert.equal(sa.automountServiceAccountToken, false);
    assert.equal(sa.metadata.annotations['iam.example.com/role'], 'glider');
    assert.equal(sa.metadata.ownerReferences[0].name, 'sa');
    for (const c of ['edge', 'router', 'presence']) {
      const pod = (await waitFor(`Deployment sa-${c}`, () => k.get('deployments', `sa-${c}`, 'apps/v1'))).spec.template.spec;
      assert.equal(pod.serviceAccountName, 'sa-app');
      assert.equal(pod.automountServiceAccountToken, false);
    }
    const patched = await k.request('PATCH', path('sa'), { spec: { serviceAccount: { name: 'byo', annotations: null } } }, 'application/merge-patch+json');
    assert.equal(patched.code, 200, JSON.stringify(patched.body));
    await waitFor('pods on the named ServiceAccount', () => k.get('deployments', 'sa-edge', 'apps/v1')?.spec.template.spec.serviceAccountName === 'byo');
    assert.equal(k.get('deployments', 'sa-edge', 'apps/v1').spec.template.spec.automountServiceAccountToken, false);
    await waitFor('the made ServiceAccount pruned', () => k.get('serviceaccounts', 'sa-app') === undefined);
  });

  it('refuses pod settings the operator could not honour, naming the field', async () => {
    const refused = async (name: string, spec: object, message: RegExp) => {
      const r = await k.request('POST', clustersPath, sampleCluster(name, spec));
      assert.equal(r.code, 422, `${name}: ${JSON.stringify(r.body)}`);
      assert.match(r.body.message, message);
    };
    await refused(
      'badlabel',
      { components: { edge: { podLabels: { 'app.kubernetes.io/component': 'router' } } } },
      /podLabels must not set app\.kubernetes\.io\/name/,
    );
    await refused('badvalue', { components: { edge: { podLabels: { tier: 'not a label value' } } } }, /podLabels\.tier/);
    await refused('badprio', { components: { router: { priorityClassName: 'Not_A_Name' } } }, /priorityClassName/);
    await refused(
      'badspread',
      { components: { edge: { topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] } } },
      /maxSkew/,
    );
    await refused(
      'badwhen',
      { components: { edge: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Sometimes' }] } } },
      /whenUnsatisfiable/,
    );
    await refused(
      'badsa',
      { serviceAccount: { name: 'mine', annotations: { a: 'b' } } },
      /serviceAccount\.annotations apply only to the ServiceAccount the operator makes/,
    );
    await refused('badpull', { imagePullSecrets: [{ name: '' }] }, /imagePullSecrets/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    await refused('toomany', { components: { presence: { podAnnotations: many } } }, /podAnnotations/);
    assert.equal(k.list('xmppclusters', 'glider.im/v1alpha1').filter((x) => x.metadata.namespace === NS && x.metadata.name.startsWith('bad')).length, 0);
  });

  it('a pod label or annotation key Kubernetes would refuse is reported as InvalidPodSettings, and nothing is rolled out', async () => {
    await k.request(
      'POST',
      clustersPath,
      sampleCluster('keys', { components: { edge: { podLabels: { 'bad key': 'x' }, podAnnotations: { 'Example.COM/x': 'y' } } } }),
    );
    const c = await waitFor('InvalidPodSettings', () =>
      k.cluster('keys')?.status?.conditions?.find((c: any) => c.type === 'Degraded' && c.reason === 'InvalidPodSettings'),
    );
    assert.match(c.message, /components\.edge\.podLabels: "bad key" is not a valid key/);
    assert.equal(k.get('deployments', 'keys-edge', 'apps/v1'), undefined, 'blocked: no Deployment the API server would refuse');
    // Fixed: the cluster converges.
    await k.request(
      'PATCH',
      path('keys'),
      { spec: { components: { edge: { podLabels: { 'bad key': null, tier: 'x' }, podAnnotations: null } } } },
      'application/merge-patch+json',
    );
    const d = await waitFor('Deployment keys-edge', () => k.get('deployments', 'keys-edge', 'apps/v1'));
    assert.equal(d.spec.template.metadata.labels.tier, 'x');
  });
});
