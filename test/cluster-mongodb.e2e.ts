import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { startMongoServer, type MongoServer } from './harness/mongodb.js';
import { chatScenario } from './scenarios/chat.scenario.js';
import { externalClientsScenario } from './scenarios/external-clients.scenario.js';
import { blockingScenario } from './scenarios/blocking.scenario.js';
import { pepScenario } from './scenarios/pep.scenario.js';

// The same scenarios as cluster.e2e.ts, with every process on MongoDB storage: FerretDB (a real
// MongoDB-wire server) started here, or the server in $MONGODB_URL.
describe('local cluster on MongoDB storage', () => {
  let mongo: MongoServer;
  let c: Cluster;
  before(async () => {
    mongo = await startMongoServer();
    c = await startCluster({
      edges: 2,
      routers: 2,
      env: { GLIDER_STORAGE__KIND: 'mongodb', GLIDER_STORAGE__MONGODB__URL: mongo.url, GLIDER_STORAGE__MONGODB__DATABASE: mongo.database },
    });
  });
  after(async () => {
    await c?.stop();
    await mongo?.stop();
  });

  it('Alice on edge 1 and Bob on edge 2 chat, with roster, presence and offline messages', async () => {
    await chatScenario(c, 'm');
  });

  it('slixmpp and go-sendxmpp work across edges', async () => {
    await externalClientsScenario(c, 'm');
  });

  it('XEP-0191 blocking with the lists in MongoDB: block, pushes, bounces, presence, unblock (xmpp.js, slixmpp)', async () => {
    await blockingScenario(c, 'm');
  });

  it('XEP-0163 PEP with nodes in MongoDB: publish, last item through verified caps, notification (xmpp.js, slixmpp)', async () => {
    await pepScenario(c, 'm');
  });
});
