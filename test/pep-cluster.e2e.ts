import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { pepScenario } from './scenarios/pep.scenario.js';

// Two presence processes split the partitions: a user's presence and the pubsub.<domain> host (where
// XEP-0115 answers come back) are owned by either, so the first pair's caps queries may be sent by
// one process and verified by the other; the later pairs announce the same hashes and find them in
// the KV cache the first verification wrote, whichever process owns their partitions. Which process
// owns what is up to the partition claims, so this test does not assert it.
describe('PEP on a cluster with two presence processes', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ edges: 2, routers: 2, presences: 2 });
  });
  after(async () => {
    await c?.stop();
  });

  for (const tag of ['p1', 'p2', 'p3']) {
    it(`XEP-0163 publish, last item through verified caps, notification (xmpp.js, slixmpp), users ${tag}`, async () => {
      await pepScenario(c, tag);
    });
  }
});
