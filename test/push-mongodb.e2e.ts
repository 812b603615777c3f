import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startMongoServer, type MongoServer } from './harness/mongodb.js';
import { pushScenario } from './scenarios/push.scenario.js';

// Its own file (one deployment per process): several self-signed "localhost" certificates trusted
// in one process make Node pick the wrong one.
describe('push notifications: cluster on MongoDB storage (FerretDB or $MONGODB_URL)', () => {
  let mongo: MongoServer;
  let c: Cluster;
  before(async () => {
    mongo = await startMongoServer();
    c = await startCluster({
      edges: 2,
      routers: 2,
      logLevel: 'info',
      env: {
        GLIDER_EDGE__SM__ENABLED: 'true',
        GLIDER_FEATURES__PUSH__ENABLED: 'true',
        GLIDER_STORAGE__KIND: 'mongodb',
        GLIDER_STORAGE__MONGODB__URL: mongo.url,
        GLIDER_STORAGE__MONGODB__DATABASE: mongo.database,
      },
    });
  });
  after(async () => {
    await c?.stop();
    await mongo?.stop();
  });

  it('XEP-0357 with xmpp.js, registrations in MongoDB: enable, publishes for a detached and an offline account, disable; slixmpp as the App Server', async () => {
    await pushScenario(c, 'm');
  });
});
