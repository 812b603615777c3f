import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { TcpBalancer } from './harness/tcp-balancer.js';
import { slixmppTransfer, socks5ByteLimitScenario, socks5Env, socks5RefusalsScenario } from './scenarios/socks5.scenario.js';

// Two media-relay replicas behind one round-robin TCP balancer, as behind one Kubernetes Service:
// a stream's two connections land on different replicas. The refusal tests address the replicas
// directly to choose where each connection lands.
describe('media-relay in the local cluster: the XEP-0065 SOCKS5 proxy across two replicas', () => {
  let c: Cluster;
  let service: TcpBalancer;
  const ports: number[] = [];
  before(async () => {
    ports.push(await freePort(), await freePort());
    service = await TcpBalancer.start(ports);
    c = await startCluster({
      mediaRelays: 2,
      mediaEnv: async (i) => ({
        GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()),
        ...socks5Env(ports[i - 1]!),
        GLIDER_MEDIA__SOCKS5__PUBLIC_PORT: String(service.port),
      }),
    });
  });
  after(async () => {
    await c?.stop();
    await service?.stop();
  });

  it('two slixmpp clients transfer 10 MB through the Service; their connections reach different replicas; checksums match', async () => {
    const r = await slixmppTransfer(c, 'cl');
    assert.deepEqual(r.proxies[`proxy.${c.domain}`], ['127.0.0.1', String(service.port)]);
    assert.deepEqual(service.counts, [1, 1], 'Target and Requester each reached another replica');
  });

  it('refusals and limits hold when each stream’s connections land on different replicas', async () => {
    await socks5RefusalsScenario(c, 'cl', ports, service.port);
  });

  it('cuts a transfer past maxBytesPerTransfer across replicas', async () => {
    await socks5ByteLimitScenario(c, 'cl', ports);
  });
});
