import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { E2E_ADMIN, adminCommandsScenario } from './scenarios/admin-commands.scenario.js';

const ADMIN_ENV = { GLIDER_ADMIN__JIDS: E2E_ADMIN };

describe('XEP-0133 administration with slixmpp: standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone(ADMIN_ENV);
  });
  after(async () => {
    await d?.stop();
  });
  it('adds a user, changes its password, lists online users, announces, disables a user', async () => {
    await adminCommandsScenario(d, 's');
  });
});

describe('XEP-0133 administration with slixmpp: cluster (2 edges, 2 routers)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ edges: 2, routers: 2, env: ADMIN_ENV });
  });
  after(async () => {
    await c?.stop();
  });
  it('the same across edges and routers (command sessions in the bus KV)', async () => {
    await adminCommandsScenario(c, 'c');
  });
});
