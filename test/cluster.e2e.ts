import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { connect, isPresence, trustCertificate, xml } from './harness/xmpp-client.js';
import { chatScenario } from './scenarios/chat.scenario.js';
import { externalClientsScenario } from './scenarios/external-clients.scenario.js';

describe('local cluster: nats-server, two edges, two routers, presence', () => {
  let c: Cluster;
  before(async () => {
    c = await startCluster({ edges: 2, routers: 2 });
  });
  after(async () => {
    await c?.stop();
  });

  it('Alice on edge 1 and Bob on edge 2 chat exactly as on standalone', async () => {
    await chatScenario(c, 'c');
  });

  it('slixmpp and go-sendxmpp work across edges', async () => {
    await externalClientsScenario(c, 'c');
  });

  it('an edge that dies has its sessions removed and their unavailable presence broadcast', async () => {
    trustCertificate(c.certPem());
    await addUser('gina@localhost', 'gina-password', c.adminPort);
    await addUser('hank@localhost', 'hank-password', c.adminPort);
    const [e1, e2] = c.edges;
    const g = await connect(`xmpp://${e1!.host}:${e1!.c2sPort}`, 'gina', 'gina-password', 'pc');
    const h = await connect(`xmpp://${e2!.host}:${e2!.c2sPort}`, 'hank', 'hank-password', 'pc');
    try {
      await g.send(xml('presence'));
      await h.send(xml('presence'));
      await g.send(xml('presence', { to: 'hank@localhost', type: 'subscribe' }));
      await h.waitFor('subscribe', isPresence('gina@localhost', 'subscribe'));
      await h.send(xml('presence', { to: 'gina@localhost', type: 'subscribed' }));
      await g.waitFor("hank's presence", isPresence('hank@localhost', undefined));
      const edge2 = c.byRole('edge-2')[0]!;
      await edge2.stop('SIGKILL');
      const gone = await g.waitFor('hank unavailable after his edge died', isPresence('hank@localhost', 'unavailable'), 30_000);
      assert.equal(gone.attrs.from, 'hank@localhost/pc');
    } finally {
      await g.stop();
      await h.stop();
    }
  });
});
