import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { blockingScenario } from './scenarios/blocking.scenario.js';

describe('XEP-0191 blocking on standalone', () => {
  let d: Deployment;
  before(async () => {
    d = await startStandalone();
  });
  after(async () => {
    await d?.stop();
  });

  it('block, push, bounces both ways, presence, bad input, unblock, unblock-all (xmpp.js); block/list/unblock (slixmpp)', async () => {
    await blockingScenario(d, 's');
  });
});

describe('XEP-0191 blocking on a cluster (two edges, two routers: the block is stored by presence, enforced by every router)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ edges: 2, routers: 2 });
  });
  after(async () => {
    await c?.stop();
  });

  it('the same scenario across edges and routers', async () => {
    await blockingScenario(c, 'c');
  });
});
