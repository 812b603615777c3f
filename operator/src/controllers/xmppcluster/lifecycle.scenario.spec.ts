import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { xmppClusterCrd } from '../../api/v1alpha1/crd.js';
import { MemoryLoadSource } from '../../autoscaler/load-source.js';
import { certInfo } from '../../tls/pki.js';
import { NS, TestCluster, clustersPath, sampleCluster, waitFor } from '../../testing/harness.js';

/** What the API server requires of a PersistentVolumeClaim (it refuses an empty spec). */
const pvcSpec = { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } };

describe('XmppCluster lifecycle against the harness API server', { timeout: 60_000 }, () => {
  let k: TestCluster;
  before(async () => {
    k = await new TestCluster({ tls: true }).start();
    await k.startManager(() => new MemoryLoadSource());
  });
  after(async () => k.stop());

  it('create: children exist with owner references and the cluster becomes Ready', async () => {
    const created = await k.request('POST', clustersPath, sampleCluster('chat', { components: { router: { replicas: 3 } } }));
    assert.ok([200, 201].includes(created.code), JSON.stringify(created.body));
    const ready = await waitFor('Ready', () => (k.cluster('chat')?.status?.phase === 'Ready' ? k.cluster('chat') : undefined));
    assert.deepEqual(ready.metadata.finalizers, ['glider.im/cleanup']);
    assert.equal(ready.status.observedGeneration, ready.metadata.generation);
    assert.equal(ready.status.readyComponents, '3/3');
    assert.ok(ready.status.certificate.notAfter);
    const cond = Object.fromEntries(ready.status.conditions.map((c: any) => [c.type, c]));
    assert.equal(cond.Ready.status, 'True');
    assert.equal(cond.Degraded.status, 'False');
    for (const c of ['edge', 'router', 'presence']) {
      const d = k.get('deployments', `chat-${c}`, 'apps/v1');
      assert.ok(d, `deployment chat-${c}`);
      assert.equal(d.metadata.ownerReferences[0].uid, ready.metadata.uid);
      assert.deepEqual(d.spec.template.spec.containers[0].command, ['node', `dist/apps/${c}/src/main.js`]);
    }
    assert.equal(k.get('deployments', 'chat-router', 'apps/v1').spec.replicas, 3);
    assert.equal(k.get('deployments', 'chat-muc', 'apps/v1'), undefined, 'muc is opt-in (components.ts optIn)');
    assert.equal(k.get('deployments', 'chat-media-relay', 'apps/v1'), undefined, 'mediaRelay is opt-in (components.ts optIn)');
    const svc = k.get('services', 'chat-edge');
    assert.deepEqual(
      svc.spec.ports.map((p: any) => p.port),
      [5222, 5223, 5280, 5443],
      'what the edge serves: no s2s port until it has an s2s listener',
    );
    assert.ok(k.get('configmaps', 'chat-config').data['config.yaml'].includes('example.com'));
    assert.ok(k.get('secrets', 'chat-tls').data['tls.crt']);
    assert.ok(k.get('secrets', 'chat-ca').data['tls.key']);
    assert.ok(k.get('poddisruptionbudgets', 'chat-router', 'policy/v1'));
    // What `kubectl get xmppclusters` prints: every printer column resolves on a Ready cluster.
    const cols = xmppClusterCrd().spec.versions[0]!.additionalPrinterColumns as { name: string; jsonPath: string }[];
    const at = (o: any, path: string) =>
      path
        .split(/\.|\[(\d+)\]/)
        .filter(Boolean)
        .reduce((v, key) => v?.[key], o);
    const row = Object.fromEntries(cols.map((c) => [c.name, at(ready, c.jsonPath)]));
    assert.deepEqual(
      { ...row, 'Cert-Expiry': typeof row['Cert-Expiry'], Age: typeof row['Age'] },
      { Phase: 'Ready', Ready: '3/3', Domain: 'example.com', 'Cert-Expiry': 'string', Age: 'string' },
    );
    const managers = k.get('deployments', 'chat-edge', 'apps/v1').metadata.managedFields.map((m: any) => m.manager);
    assert.ok(managers.includes('glider-operator'));
  });

  it('spec change: the deployments are rolled (new config hash) and status follows the generation', async () => {
    const before = k.get('deployments', 'chat-edge', 'apps/v1').spec.template.metadata.annotations['glider.im/config-hash'];
    const r = await k.request('PATCH', `${clustersPath}/chat`, { spec: { domains: ['example.com', 'example.org'] } }, 'application/merge-patch+json');
    assert.equal(r.code, 200, JSON.stringify(r.body));
    const gen = r.body.metadata.generation;
    await waitFor('rolled edge', () => k.get('deployments', 'chat-edge', 'apps/v1').spec.template.metadata.annotations['glider.im/config-hash'] !== before);
    await waitFor('observedGeneration', () => k.cluster('chat').status.observedGeneration === gen && k.cluster('chat').status.phase === 'Ready');
    const pods = k.list('pods').filter((p) => p.metadata.labels['app.kubernetes.io/component'] === 'edge');
    assert.ok(pods.every((p) => p.metadata.annotations['glider.im/config-hash'] !== before));
    assert.ok(k.get('configmaps', 'chat-config').data['config.yaml'].includes('example.org'));
  });

  it('admin API: one token Secret made once and kept, mounted in the router pods; TLS off loopback via a ClusterIP Service', async () => {
    const token = (): string =>
      Buffer.from(k.get('secrets', 'chat-admin-token')?.data?.token ?? '', 'base64')
        .toString('utf8')
        .trim();
    const first = token();
    assert.ok(first.length >= 32, 'a random token');
    const secret = k.get('secrets', 'chat-admin-token');
    assert.equal(secret.metadata.ownerReferences[0].uid, k.cluster('chat').metadata.uid);
    // reconciles (spec changes) keep the same token
    const hash = k.get('deployments', 'chat-router', 'apps/v1').spec.template.metadata.annotations['glider.im/config-hash'];
    await k.request('PATCH', `${clustersPath}/chat`, { spec: { config: { log: { level: 'debug' } } } }, 'application/merge-patch+json');
    await waitFor('reconciled', () => k.get('deployments', 'chat-router', 'apps/v1').spec.template.metadata.annotations['glider.im/config-hash'] !== hash);
    assert.equal(token(), first, 'the token is never replaced by a reconcile');
    const pod = k.get('deployments', 'chat-router', 'apps/v1').spec.template.spec;
    const vol = pod.volumes.find((v: any) => v.secret?.secretName === 'chat-admin-token');
    assert.ok(vol, 'mounted in the router pods');
    assert.ok(pod.containers[0].volumeMounts.some((m: any) => m.name === vol.name && m.readOnly && m.mountPath === '/etc/glider/secrets/admin'));
    const config = k.get('configmaps', 'chat-config').data['config.yaml'] as string;
    assert.match(config, /admin:\n(\s+.*\n)*?\s+host: 0\.0\.0\.0\n/);
    assert.match(config, /admin:\n(\s+.*\n)*?\s+tls: true\n/);
    assert.match(config, /tokenFile: \/etc\/glider\/secrets\/admin\/token\n/);
    const svc = k.get('services', 'chat-admin');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.deepEqual(
      svc.spec.ports.map((p: any) => p.port),
      [5582],
    );
    const crt = Buffer.from(k.get('secrets', 'chat-tls').data['tls.crt'], 'base64').toString('utf8');
    assert.ok(certInfo(crt)!.dnsNames.includes(`chat-admin.${NS}.svc`), 'the server certificate covers the admin Service');
    // deleted by hand: a new one is made (and announced), never silently swapped while it exists
    await k.request('DELETE', `/api/v1/namespaces/${NS}/secrets/chat-admin-token`);
    await waitFor('new token', () => token() && token() !== first);
  });

  it('a child deleted by hand is recreated', async () => {
    const old = k.get('services', 'chat-edge');
    const r = await k.request('DELETE', `/api/v1/namespaces/${NS}/services/chat-edge`);
    assert.equal(r.code, 200);
    await waitFor('service recreated', () => {
      const s = k.get('services', 'chat-edge');
      return s && s.metadata.uid !== old.metadata.uid;
    });
  });

  it('keeps working after its watches are cut and the history compacted (resume, then 410 and relist)', async () => {
    k.api.dropWatches();
    k.api.store.compact();
    await k.request('PATCH', `${clustersPath}/chat`, { spec: { components: { presence: { replicas: 3 } } } }, 'application/merge-patch+json');
    await waitFor('reconciled after relist', () => k.get('deployments', 'chat-presence', 'apps/v1')?.spec?.replicas === 3, 15_000);
  });

  it('a hand edit of an owned field is put back (force apply takes ownership)', async () => {
    await k.request(
      'PATCH',
      `/apis/apps/v1/namespaces/${NS}/deployments/chat-router?fieldManager=kubectl-edit`,
      { spec: { replicas: 7 } },
      'application/merge-patch+json',
    );
    await waitFor('replicas restored', () => k.get('deployments', 'chat-router', 'apps/v1').spec.replicas === 3);
  });

  it('an invalid spec is refused by the API server with a readable message', async () => {
    const bad = await k.request('POST', clustersPath, sampleCluster('bad', { domains: ['Not_A_Domain'] }));
    assert.equal(bad.code, 422);
    assert.match(bad.body.message, /spec\.domains\[0\].*should match/);
    const cel = await k.request('POST', clustersPath, sampleCluster('bad2', { tls: { source: 'secret' } }));
    assert.equal(cel.code, 422);
    assert.match(cel.body.message, /tls\.secretName is required when tls\.source is secret/);
    const dup = await k.request('POST', clustersPath, sampleCluster('bad4', { domains: ['a.example', 'a.example'] }));
    assert.equal(dup.code, 422);
    assert.match(dup.body.message, /spec\.domains\[1\]: Duplicate value: "a\.example"/);
    const range = await k.request('POST', clustersPath, sampleCluster('bad3', { components: { edge: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } } }));
    assert.equal(range.code, 422);
    assert.match(range.body.message, /minReplicas must not exceed maxReplicas/);
  });

  it('muc: opt-in, its own Deployment with muc.enabled in the config', async () => {
    const r = await k.request('POST', clustersPath, sampleCluster('withmuc', { components: { muc: { enabled: true, replicas: 2 } } }));
    assert.ok([200, 201].includes(r.code), JSON.stringify(r.body));
    const d = await waitFor('the muc Deployment', () => k.get('deployments', 'withmuc-muc', 'apps/v1'));
    assert.equal(d.spec.replicas, 2);
    const container = d.spec.template.spec.containers[0];
    assert.deepEqual(container.command, ['node', 'dist/apps/muc/src/main.js']);
    assert.ok(container.env.some((e: any) => e.name === 'GLIDER_MUC__ID' && e.valueFrom?.fieldRef?.fieldPath === 'metadata.name'));
    const config = parseYaml(k.get('configmaps', 'withmuc-config').data['config.yaml'] as string);
    assert.equal(config.muc.enabled, true);
    assert.equal((await k.request('DELETE', `${clustersPath}/withmuc`)).code < 300, true);
  });

  it('mediaRelay: its own Deployment with media.enabled, and a Service with the HTTP upload, SOCKS5 and TURN ports', async () => {
    const relay = await k.request('POST', clustersPath, sampleCluster('withrelay', { components: { mediaRelay: { enabled: true, replicas: 2 } } }));
    assert.ok([200, 201].includes(relay.code), JSON.stringify(relay.body));
    const d = await waitFor('the media-relay Deployment', () => k.get('deployments', 'withrelay-media-relay', 'apps/v1'));
    assert.equal(d.spec.replicas, 2);
    const container = d.spec.template.spec.containers[0];
    assert.deepEqual(container.command, ['node', 'dist/apps/media-relay/src/main.js']);
    assert.ok(container.ports.some((p: any) => p.containerPort === 5281 && p.name === 'https-upload'));
    assert.ok(container.env.some((e: any) => e.name === 'GLIDER_MEDIA__ID' && e.valueFrom?.fieldRef?.fieldPath === 'metadata.name'));
    assert.ok(container.ports.some((p: any) => p.containerPort === 7777 && p.name === 'socks5'));
    // XEP-0065: replicas forward a stream's second connection to each other on the pod network.
    assert.ok(container.env.some((e: any) => e.name === 'GLIDER_MEDIA__SOCKS5__PEER_HOST' && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP'));
    const svc = await waitFor('the media-relay Service', () => k.get('services', 'withrelay-media-relay'));
    assert.deepEqual(
      svc.spec.ports.map((p: any) => `${p.port}/${p.protocol}`),
      ['5281/TCP', '7777/TCP', '3478/UDP', '3478/TCP', '5349/TCP'],
    );
    // TURN: the shared secret made once and mounted; the relay binds and announces the pod IP (no spec.turn)
    const turnSecret = await waitFor('the TURN shared secret', () => k.get('secrets', 'withrelay-turn-secret'));
    assert.ok(
      Buffer.from(turnSecret.data.secret as string, 'base64')
        .toString()
        .trim().length >= 32,
    );
    assert.ok(d.spec.template.spec.volumes.some((v: any) => v.secret?.secretName === 'withrelay-turn-secret'));
    assert.ok(container.env.some((e: any) => e.name === 'GLIDER_MEDIA__TURN__RELAY_ADDRESS' && e.valueFrom?.fieldRef?.fieldPath === 'status.podIP'));
    const config = parseYaml(k.get('configmaps', 'withrelay-config').data['config.yaml'] as string);
    assert.deepEqual(
      { enabled: config.media.enabled, port: config.media.upload.port, socks5: config.media.socks5.port },
      { enabled: true, port: 5281, socks5: 7777 },
    );
    assert.equal((await k.request('DELETE', `${clustersPath}/withrelay`)).code < 300, true);
  });

  it('a missing Secret shows in Degraded with its name, and clears when the Secret appears', async () => {
    await k.request(
      'POST',
      clustersPath,
      sampleCluster('sec', { nats: { url: 'nats://nats:4222', credentialsSecretRef: { name: 'nats-creds', key: 'credentials' } } }),
    );
    const degraded = await waitFor('Degraded', () => k.cluster('sec')?.status?.conditions?.find((c: any) => c.type === 'Degraded' && c.status === 'True'));
    assert.equal(degraded.reason, 'SecretNotFound');
    assert.match(degraded.message, /nats\.credentialsSecretRef: Secret glider\/nats-creds not found/);
    assert.equal(k.cluster('sec').status.phase, 'Degraded');
    assert.equal(k.get('deployments', 'sec-edge', 'apps/v1'), undefined, 'no rollout while a Secret is missing');
    await k.request('POST', `/api/v1/namespaces/${NS}/secrets`, {
      metadata: { name: 'nats-creds' },
      data: { credentials: Buffer.from('u:p').toString('base64') },
    });
    await waitFor('Ready after the Secret appeared', () => k.cluster('sec')?.status?.phase === 'Ready');
  });

  it('an invalid config block is reported as InvalidConfig', async () => {
    await k.request('POST', clustersPath, sampleCluster('cfg', { config: { edge: { c2sPortt: 1 } } }));
    const c = await waitFor('InvalidConfig', () =>
      k.cluster('cfg')?.status?.conditions?.find((c: any) => c.type === 'Degraded' && c.reason === 'InvalidConfig'),
    );
    assert.match(c.message, /c2sPortt/);
  });

  it('delete: the finalizer runs, children are garbage-collected, PVCs stay unless asked', async () => {
    const pvc = await k.request('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, {
      metadata: { name: 'data', labels: { 'glider.im/cluster': 'chat' } },
      spec: pvcSpec,
    });
    assert.equal(pvc.code, 201, JSON.stringify(pvc.body));
    const r = await k.request('DELETE', `${clustersPath}/chat`);
    assert.equal(r.code, 200);
    await waitFor('cluster gone', () => k.cluster('chat') === undefined);
    await waitFor('children collected', () =>
      ['deployments', 'services', 'configmaps', 'secrets'].every((res) =>
        k.list(res, res === 'deployments' ? 'apps/v1' : '').every((o) => o.metadata.labels?.['glider.im/cluster'] !== 'chat'),
      ),
    );
    assert.ok(k.get('persistentvolumeclaims', 'data'), 'PVC kept');
  });

  it('delete with deletePersistentVolumeClaims: the labelled PVCs go too', async () => {
    await k.request('POST', clustersPath, sampleCluster('wipe', { deletePersistentVolumeClaims: true }));
    await waitFor('finalizer', () => k.cluster('wipe')?.metadata?.finalizers?.includes('glider.im/cleanup'));
    const pvc = await k.request('POST', `/api/v1/namespaces/${NS}/persistentvolumeclaims`, {
      metadata: { name: 'wipe-data', labels: { 'glider.im/cluster': 'wipe' } },
      spec: pvcSpec,
    });
    assert.equal(pvc.code, 201, JSON.stringify(pvc.body));
    await k.request('DELETE', `${clustersPath}/wipe`);
    await waitFor('cluster and PVC gone', () => k.cluster('wipe') === undefined && k.get('persistentvolumeclaims', 'wipe-data') === undefined);
    assert.ok(k.get('persistentvolumeclaims', 'data'), "other clusters' PVCs untouched");
  });
});
