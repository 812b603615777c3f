import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startMongoServer, type MongoServer } from './harness/mongodb.js';
import { avatarConversionScenario } from './scenarios/avatars.scenario.js';
import { pepDataScenario } from './scenarios/pep-data.scenario.js';

// Its own file (one deployment per process, like cluster-mongodb.e2e.ts): several self-signed
// "localhost" certificates trusted in one process make Node pick the wrong one.
describe('What lives on PEP: local cluster on MongoDB storage (FerretDB or $MONGODB_URL)', () => {
  let mongo: MongoServer;
  let c: Cluster;
  before(async () => {
    mongo = await startMongoServer();
    c = await startCluster({
      env: { GLIDER_STORAGE__KIND: 'mongodb', GLIDER_STORAGE__MONGODB__URL: mongo.url, GLIDER_STORAGE__MONGODB__DATABASE: mongo.database },
    });
  });
  after(async () => {
    await c?.stop();
    await mongo?.stop();
  });

  it('XEP-0398 both ways (vCards and avatar items in MongoDB)', async () => {
    await avatarConversionScenario(c, 'm');
  });

  it('XEP-0402 #compat and #compat-pep, MDS with server assist, vCard4 and OMEMO on open nodes', async () => {
    await pepDataScenario(c, 'm');
  });
});
