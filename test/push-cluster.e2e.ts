import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { pushScenario } from './scenarios/push.scenario.js';

/**
 * XEP-0357 on a cluster (nats-server, two routers, presence, two edges as processes): the app
 * server and the account on different edges, publishes and their answers crossing routers.
 */
describe('push notifications: cluster', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ edges: 2, routers: 2, logLevel: 'info', env: { GLIDER_EDGE__SM__ENABLED: 'true', GLIDER_FEATURES__PUSH__ENABLED: 'true' } });
  });
  after(async () => {
    await c?.stop();
  });

  it('XEP-0357 with xmpp.js: enable with publish options, a publish for a detached (SM) session and one for an offline account, disable; slixmpp as the App Server', async () => {
    await pushScenario(c, 'c');
  });
});
