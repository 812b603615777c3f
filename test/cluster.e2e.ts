import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { connect, isPresence, trustCertificate, xml } from './harness/xmpp-client.js';
import { chatScenario } from './scenarios/chat.scenario.js';
import { externalClientsScenario } from './scenarios/external-clients.scenario.js';
import { carbonsScenario } from './scenarios/carbons.scenario.js';
import { csiScenario } from './scenarios/csi.scenario.js';
import { blockingScenario } from './scenarios/blocking.scenario.js';
import { pepScenario } from './scenarios/pep.scenario.js';

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

  it('XEP-0280 carbons: received, sent, private and disable with xmpp.js; a received carbon with slixmpp (and its XEP-0199 ping answered)', async () => {
    await carbonsScenario(c, 'c');
  });

  it('XEP-0352 CSI: an inactive xmpp.js client gets presence and chat states held until a message with a body, then <active/>', async () => {
    await csiScenario(c, 'c');
  });

  it('XEP-0191 blocking: block, push to a second resource, bounces both ways, presence, bad input, unblock, unblock-all (xmpp.js); block/list/unblock (slixmpp)', async () => {
    await blockingScenario(c, 'c');
  });

  it('XEP-0163 PEP across edges: xmpp.js publishes, slixmpp gets the last item through verified caps (caps cache in the bus KV on nats-server) and publishes back', async () => {
    await pepScenario(c, 'c');
  });

  it('an edge that dies has its sessions removed and their unavailable presence broadcast (clients without stream management)', async () => {
    trustCertificate(c.certPem());
    await addUser('gina@localhost', 'gina-password', c.adminPort);
    await addUser('hank@localhost', 'hank-password', c.adminPort);
    const [e1, e2] = c.edges;
    // With stream management the session would wait for a resume instead (test/sm-resume.e2e.ts).
    const g = await connect(`xmpp://${e1!.host}:${e1!.c2sPort}`, 'gina', 'gina-password', 'pc', 'localhost', { sm: false });
    const h = await connect(`xmpp://${e2!.host}:${e2!.c2sPort}`, 'hank', 'hank-password', 'pc', 'localhost', { sm: false });
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
      assert.equal(gone.attrs.from, h.jid);
    } finally {
      await g.stop();
      await h.stop();
    }
  });

  it('a presence service that dies stops being addressed: roster requests get service-unavailable, never a silence', async () => {
    // Last in this file: it leaves the cluster without presence.
    trustCertificate(c.certPem());
    await addUser('ivy@localhost', 'ivy-password', c.adminPort);
    const e1 = c.edges[0]!;
    const ivy = await connect(`xmpp://${e1.host}:${e1.c2sPort}`, 'ivy', 'ivy-password', 'pc');
    const stanzas = 'urn:ietf:params:xml:ns:xmpp-stanzas';
    const ask = async (id: string) => {
      await ivy.send(xml('iq', { type: 'get', id }, xml('query', { xmlns: 'jabber:iq:roster' })));
      const answer = await ivy.waitFor(`the answer to ${id}`, (s) => s.is('iq') && s.attrs.id === id, 30_000);
      return answer.attrs.type === 'error'
        ? (['service-unavailable', 'internal-server-error', 'remote-server-timeout'].find((c) => answer.getChild('error')?.getChild(c, stanzas)) ??
            'other-error')
        : answer.attrs.type;
    };
    try {
      assert.equal(await ask('r0'), 'result');
      await c.byRole('presence')[0]!.stop('SIGKILL');
      // Until its declaration expires (3 heartbeats) a request may still be tried and answered with a
      // wait-type error; from then on the addressing table has no presence and says so at once.
      const seen: (string | undefined)[] = [];
      for (let n = 1; n <= 20 && seen.at(-1) !== 'service-unavailable'; n++) seen.push(await ask(`r${n}`));
      assert.equal(seen.at(-1), 'service-unavailable', `answers after the kill: ${seen.join(', ')}`);
    } finally {
      await ivy.stop();
    }
  });
});
