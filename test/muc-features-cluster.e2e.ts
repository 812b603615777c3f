import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { mucEnv } from './scenarios/muc.scenario.js';
import { mucFeaturesScenario } from './scenarios/muc-features.scenario.js';

// Its own process (the client trusts one deployment's certificate at a time).
describe('XEP-0045 registration and voice requests, XEP-0424/0425: the local cluster with two muc replicas', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ mucs: 2, env: mucEnv });
  });
  after(async () => {
    await c?.stop();
  });

  it('xmpp.js over two edges: register, voice request, retract, moderate; tombstones in the room archive', async () => {
    await mucFeaturesScenario(c, 'c');
  });
});
