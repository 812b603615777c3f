import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '#libs/config';
import { xmppClusterSpec } from '../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { decode } from './apply.js';
import { gliderConfig } from './desired/glider-config.js';
import { deployment } from './desired/deployment.js';
import { componentService } from './desired/services.js';
import { TURN_SECRET_KEY, turnSecret } from './turn-secret.js';

const cluster = (spec: object = {}): XmppCluster => ({
  apiVersion: 'glider.im/v1alpha1',
  kind: 'XmppCluster',
  metadata: { name: 'chat', namespace: 'glider', uid: 'u1', generation: 1 },
  spec: xmppClusterSpec.parse({ domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://m:27017' }, ...spec }),
});

describe('media-relay TURN in the operator (docs/media.md "In Kubernetes")', () => {
  it('offers STUN/TURN on 3478/UDP, 3478/TCP and 5349/TCP in the mediaRelay Service', () => {
    const svc = componentService(cluster(), 'mediaRelay')!;
    assert.equal(svc.metadata.name, 'chat-media-relay');
    assert.deepEqual(
      svc.spec.ports.filter((p) => p.name.startsWith('turn')).map((p) => `${p.name} ${p.port}/${p.protocol}`),
      ['turn-udp 3478/UDP', 'turn-tcp 3478/TCP', 'turns 5349/TCP'],
    );
  });

  it('with spec.turn.hostNetwork: media-relay pods on the node network, binding and announcing the node IP', () => {
    const inputs = { replicas: 1, configHash: 'h', tlsSecretName: 'chat-tls', adminTokenSecretName: 'chat-admin-token', image: { repository: 'r', tag: 't' } };
    const x = cluster({ components: { mediaRelay: { enabled: true } }, turn: { hostNetwork: true } });
    const pod = deployment(x, 'mediaRelay', x.spec.components.mediaRelay, inputs).spec.template.spec as any;
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet');
    const env = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    assert.equal(env.GLIDER_MEDIA__TURN__RELAY_ADDRESS, 'status.hostIP');
    assert.equal(env.GLIDER_MEDIA__TURN__PUBLIC_ADDRESS, 'status.hostIP');
    const named = cluster({ components: { mediaRelay: { enabled: true } }, turn: { hostNetwork: true, publicAddress: '203.0.113.10' } });
    const env2 = deployment(named, 'mediaRelay', named.spec.components.mediaRelay, inputs).spec.template.spec.containers[0]!.env.map((e: any) => e.name);
    assert.ok(!env2.includes('GLIDER_MEDIA__TURN__PUBLIC_ADDRESS'), 'the spec address, from the config file');
    const edge = deployment(x, 'edge', x.spec.components.edge, inputs).spec.template.spec as any;
    assert.equal(edge.hostNetwork, undefined, 'only media-relay');
  });

  it('points media.turn at the mounted shared secret, and at spec.turn.publicAddress when given', () => {
    const plain = configSchema.parse(gliderConfig(cluster())).media.turn;
    assert.equal(plain.sharedSecretFile, '/etc/glider/secrets/turn/secret');
    assert.equal(plain.publicAddress, undefined, 'from the downward API instead');
    assert.deepEqual([plain.udpPort, plain.tcpPort, plain.tlsPort], [3478, 3478, 5349]);
    const pub = configSchema.parse(gliderConfig(cluster({ turn: { hostNetwork: true, publicAddress: '203.0.113.10' } }))).media.turn;
    assert.equal(pub.publicAddress, '203.0.113.10');
  });

  it('a bad publicAddress is refused by the CRD shape or by the config validation, naming the key', () => {
    assert.throws(() => cluster({ turn: { publicAddress: 'relay.example.com' } }));
    const parsed = configSchema.safeParse(gliderConfig(cluster({ turn: { publicAddress: '999.1.1.1' } })));
    assert.equal(parsed.success, false);
    assert.equal(parsed.error.issues[0]!.path.join('.'), 'media.turn.publicAddress');
  });

  it('makes a random shared secret of 32 bytes in key "secret"', () => {
    const a = decode(turnSecret(cluster()).data)![TURN_SECRET_KEY]!.trim();
    const b = decode(turnSecret(cluster()).data)![TURN_SECRET_KEY]!.trim();
    assert.equal(a.length, 43);
    assert.notEqual(a, b);
    assert.equal(turnSecret(cluster()).metadata.name, 'chat-turn-secret');
  });
});
