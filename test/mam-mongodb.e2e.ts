import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startMongoServer, type MongoServer } from './harness/mongodb.js';
import { mamEnv, mamScenario } from './scenarios/mam.scenario.js';

// Its own file (one deployment per process, like cluster-mongodb.e2e.ts): several self-signed
// "localhost" certificates trusted in one process make Node pick the wrong one.
describe('XEP-0313 message archive: local cluster on MongoDB storage (FerretDB or $MONGODB_URL)', () => {
  let mongo: MongoServer;
  let c: Cluster;
  before(async () => {
    mongo = await startMongoServer();
    c = await startCluster({
      env: { ...mamEnv, GLIDER_STORAGE__KIND: 'mongodb', GLIDER_STORAGE__MONGODB__URL: mongo.url, GLIDER_STORAGE__MONGODB__DATABASE: mongo.database },
    });
  });
  after(async () => {
    await c?.stop();
    await mongo?.stop();
  });

  it('xmpp.js pages newest first and filters by with; slixmpp xep_0313 walks the archive', async () => {
    await mamScenario(c, 'm');
  });
});
