import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema, loadConfig } from '#libs/config';
import { componentNames, isBuilt } from '../../../api/v1alpha1/components.js';
import { xmppClusterSpec } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { deployment } from './deployment.js';
import { configHash, configMap, gliderConfig } from './glider-config.js';
import { componentService, internalService } from './services.js';

const cluster = (spec: object): XmppCluster => ({
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: 'glider', uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://m:27017' }, ...spec }),
});

describe('desired objects (pure builders)', () => {
  it('the generated config passes libs/config validation, with the operator-owned keys', () => {
    const cfg = gliderConfig(cluster({ nats: { url: 'nats://n:4222', credentialsSecretRef: { name: 's', key: 'k' } }, config: { log: { level: 'debug' } } }));
    const parsed = configSchema.parse(cfg);
    assert.deepEqual(parsed.domains, ['example.com']);
    assert.equal(parsed.bus.kind, 'nats');
    assert.equal(parsed.bus.credentialsFile, '/etc/glider/secrets/nats/credentials');
    assert.equal(parsed.storage.kind, 'mongodb');
    assert.equal(parsed.tls.certFile, '/etc/glider/tls/tls.crt');
    assert.equal(parsed.log.level, 'debug', 'spec.config merged');
    assert.equal(parsed.admin.auth, 'token');
    // reachable over the pod network, but only with TLS and the cluster's token
    assert.equal(parsed.admin.host, '0.0.0.0');
    assert.equal(parsed.admin.tls, true);
    assert.equal(parsed.admin.tokenFile, '/etc/glider/secrets/admin/token');
    assert.equal(parsed.admin.caFile, '/etc/glider/tls/ca.crt', 'in-pod gliderctl trusts the operator CA');
    assert.equal(parsed.admin.tlsServerName, 'chat-admin.glider.svc');
  });

  it('the CRD federation block becomes s2s.enabled and s2s.policy; the edge Service offers 5269/5270 only then', () => {
    const off = configSchema.parse(gliderConfig(cluster({})));
    assert.equal(off.s2s.enabled, false);
    assert.equal(off.s2s.policy.mode, 'allowlist');
    assert.ok(!('federation' in off.features), 'no more features.federation');
    const spec = { federation: { enabled: true, mode: 'allowList', allow: ['partner.example', '*.corp.example'], deny: ['old.corp.example'] } };
    const on = configSchema.parse(gliderConfig(cluster({ ...spec, config: { s2s: { trustFile: '/etc/glider/ca/peers.pem' } } })));
    assert.equal(on.s2s.enabled, true);
    assert.deepEqual(on.s2s.policy, { mode: 'allowlist', allow: ['partner.example', '*.corp.example'], deny: ['old.corp.example'], dialback: false });
    assert.equal(on.s2s.trustFile, '/etc/glider/ca/peers.pem', 'the rest of s2s still comes from spec.config');
    assert.equal(configSchema.parse(gliderConfig(cluster({ federation: { enabled: true, mode: 'open' } }))).s2s.policy.mode, 'open');
    assert.equal(
      configSchema.parse(gliderConfig(cluster({ federation: { enabled: true, dialback: true } }))).s2s.policy.dialback,
      true,
      'federation.dialback → s2s.policy.dialback',
    );
    assert.equal(off.s2s.dane.resolver, undefined, 'DANE off unless the spec names a validating resolver');
    assert.equal(
      configSchema.parse(gliderConfig(cluster({ federation: { enabled: true, dane: { resolver: '127.0.0.1:53' } } }))).s2s.dane.resolver,
      '127.0.0.1:53',
      'federation.dane.resolver → s2s.dane.resolver',
    );
    const ports = (x: XmppCluster) => componentService(x, 'edge')!.spec.ports.map((p) => p.port);
    assert.ok(!ports(cluster({})).includes(5269));
    assert.deepEqual(
      ports(cluster(spec)).filter((p) => p >= 5269 && p <= 5270),
      [5269, 5270],
    );
    assert.throws(() => cluster({ federation: { mode: 'denyList' } }), 'the old denyList mode is refused (open + deny says it)');
    assert.throws(() => cluster({ federation: { allow: ['Partner..example'] } }));
  });

  it('the admin token Secret is mounted read-only in the router pods only, where admin.tokenFile points', () => {
    const x = cluster({});
    const inputs = { replicas: 1, configHash: 'h', tlsSecretName: 'chat-tls', adminTokenSecretName: 'chat-admin-token', image: { repository: 'r', tag: 't' } };
    const tokenFile = configSchema.parse(gliderConfig(x)).admin.tokenFile!;
    const router = deployment(x, 'router', x.spec.components.router, inputs).spec.template.spec;
    const vol = router.volumes.find((v: any) => v.secret?.secretName === 'chat-admin-token') as any;
    assert.ok(vol, 'router pods mount the admin token Secret');
    const mount = router.containers[0]!.volumeMounts.find((m: any) => m.name === vol.name) as any;
    assert.equal(mount.readOnly, true);
    const item = vol.secret.items[0];
    assert.equal(`${mount.mountPath}/${item.path}`, tokenFile);
    assert.equal(item.key, 'token');
    assert.ok(
      router.containers[0]!.ports.some((p: any) => p.containerPort === 5582),
      'the admin port is a container port',
    );
    for (const c of ['edge', 'presence'] as const) {
      const pod = deployment(x, c, x.spec.components[c], inputs).spec.template.spec;
      assert.ok(!pod.volumes.some((v: any) => v.secret?.secretName === 'chat-admin-token'), `${c} pods do not get the admin token`);
    }
  });

  it('the admin Service is ClusterIP on the router pods, whatever edgeService.type says', () => {
    const svc = internalService(cluster({ edgeService: { type: 'LoadBalancer' } }), 'router')!;
    assert.equal(svc.metadata.name, 'chat-admin');
    assert.equal(svc.spec.type, 'ClusterIP');
    assert.equal(svc.spec.selector['app.kubernetes.io/component'], 'router');
    assert.deepEqual(
      svc.spec.ports.map((p) => p.port),
      [5582],
    );
    assert.equal(internalService(cluster({}), 'edge'), undefined);
  });

  it('is deterministic: same spec, same config hash; different spec, different hash', () => {
    assert.equal(configHash(gliderConfig(cluster({}))), configHash(gliderConfig(cluster({}))));
    assert.notEqual(configHash(gliderConfig(cluster({}))), configHash(gliderConfig(cluster({ domains: ['other.example'] }))));
  });

  it('edge pods run non-root, read-only, with secrets as volumes and the drain timeout as grace period', () => {
    const x = cluster({ drainTimeoutSeconds: 45, mongodb: { urlSecretRef: { name: 'mongo', key: 'url' } } });
    const d = deployment(x, 'edge', x.spec.components.edge, {
      replicas: 2,
      configHash: 'h',
      tlsSecretName: 'chat-tls',
      adminTokenSecretName: 'chat-admin-token',
      image: { repository: 'r', tag: 't' },
    });
    const pod = d.spec.template.spec;
    assert.equal(pod.terminationGracePeriodSeconds, 60);
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.containers[0]!.securityContext.readOnlyRootFilesystem, true);
    assert.ok(pod.volumes.some((v: any) => v.secret?.secretName === 'chat-tls'));
    assert.ok(pod.containers[0]!.env.some((e: any) => e.name === 'GLIDER_STORAGE__MONGODB__URL' && e.valueFrom.secretKeyRef.name === 'mongo'));
    assert.equal(d.metadata.ownerReferences[0]!.uid, 'u1');
  });

  it('every component boots its config the way the pod gets it: the ConfigMap file plus the env', () => {
    const x = cluster({ mongodb: { urlSecretRef: { name: 'mongo', key: 'url' } } });
    const dir = mkdtempSync(join(tmpdir(), 'glider-cfg-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, configMap(x, gliderConfig(x)).data['config.yaml']);
      for (const c of componentNames.filter(isBuilt)) {
        const d = deployment(x, c, x.spec.components[c], {
          replicas: 1,
          configHash: 'h',
          tlsSecretName: 'chat-tls',
          adminTokenSecretName: 'chat-admin-token',
          image: { repository: 'r', tag: 't' },
        });
        const env: Record<string, string> = {};
        for (const e of d.spec.template.spec.containers[0]!.env as any[]) {
          // the downward API: the pod name, or the pod's / node's IP
          const field = e.valueFrom?.fieldRef?.fieldPath as string | undefined;
          env[e.name] = e.value ?? (field ? (field === 'metadata.name' ? `chat-${c}-abc12` : '10.1.2.3') : 'mongodb://u:p@mongo:27017');
        }
        const cfg = loadConfig({ file, env });
        assert.equal(cfg.storage.mongodb.url, 'mongodb://u:p@mongo:27017', c);
        if (c === 'edge') assert.equal(cfg.edge.id, 'chat-edge-abc12', 'edge instance id is the pod name');
        if (c === 'router') assert.equal(cfg.router.id, 'chat-router-abc12');
        if (c === 'mediaRelay') {
          // TURN binds and announces the pod IP (no spec.turn), with the operator's shared secret mounted where the config points
          assert.deepEqual([cfg.media.turn.relayAddress, cfg.media.turn.publicAddress], ['10.1.2.3', '10.1.2.3']);
          const pod = d.spec.template.spec;
          const vol = pod.volumes.find((v: any) => v.secret?.secretName === 'chat-turn-secret') as any;
          const mount = pod.containers[0]!.volumeMounts.find((m: any) => m.name === vol.name) as any;
          assert.equal(`${mount.mountPath}/${vol.secret.items[0].path}`, cfg.media.turn.sharedSecretFile);
          assert.equal((pod as any).hostNetwork, undefined);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
