import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { ADMIN_SCENARIO_ENV, adminCommandsScenario } from './scenarios/admin-commands.scenario.js';

// its own file: a test process trusts one deployment's self-signed certificate (trustCertificate)
describe('XEP-0133 administration with slixmpp: cluster (2 edges, 2 routers)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ edges: 2, routers: 2, env: ADMIN_SCENARIO_ENV });
  });
  after(async () => {
    await c?.stop();
  });
  it('the same across edges and routers (command sessions in the bus KV)', async () => {
    await adminCommandsScenario(c, 'c');
  });
});
