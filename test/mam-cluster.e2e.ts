import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { mamEnv, mamScenario } from './scenarios/mam.scenario.js';

// One deployment per process (see mam-mongodb.e2e.ts).
describe('XEP-0313 message archive: local cluster (2 edges, 2 routers on NATS)', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ env: mamEnv });
  });
  after(async () => {
    await c?.stop();
  });

  it('xmpp.js pages newest first and filters by with; slixmpp xep_0313 walks the archive', async () => {
    await mamScenario(c, 'c');
  });
});
