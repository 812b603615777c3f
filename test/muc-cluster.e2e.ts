import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { mucEnv, mucScenario } from './scenarios/muc.scenario.js';

// The same scenario on the local cluster: two muc processes (rooms partitioned between them by room
// JID), the routers and presence forwarding to them, alice and bob on different edges.
describe('XEP-0045 group chat: the local cluster with two muc replicas', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ mucs: 2, env: mucEnv });
  });
  after(async () => {
    await c?.stop();
  });

  it('xmpp.js and slixmpp xep_0045 create, join, talk, change nick, kick; history, subject, self-ping, room list', async () => {
    await mucScenario(c, 'c');
  });
});
