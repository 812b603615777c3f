import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { slixmppTransfer, socks5ByteLimitScenario, socks5Env, socks5RefusalsScenario } from './scenarios/socks5.scenario.js';

// Two media-relay replicas, as behind one Service: a stream's two connections are spread over both.
describe('media-relay in the local cluster: the XEP-0065 SOCKS5 proxy across two replicas', () => {
  let c: Cluster;
  const ports: number[] = [];
  before(async () => {
    ports.push(await freePort(), await freePort());
    c = await startCluster({ mediaRelays: 2, mediaEnv: async (i) => ({ GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()), ...socks5Env(ports[i - 1]!) }) });
  });
  after(async () => {
    await c?.stop();
  });

  it('two slixmpp clients transfer 10 MB through the proxy; checksums match', async () => {
    const r = await slixmppTransfer(c, 'cl');
    const [host, port] = r.proxies[`proxy.${c.domain}`] ?? [];
    assert.equal(host, '127.0.0.1');
    assert.ok(ports.includes(Number(port)), `announced port ${port} is one of the replicas'`);
  });

  it('refusals and limits hold when each stream’s connections land on different replicas', async () => {
    await socks5RefusalsScenario(c, 'cl', ports);
  });

  it('cuts a transfer past maxBytesPerTransfer across replicas', async () => {
    await socks5ByteLimitScenario(c, 'cl', ports);
  });
});
