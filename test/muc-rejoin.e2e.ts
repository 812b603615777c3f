import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { connect, trustCertificate, xml, type TestClient, type XmppElement } from './harness/xmpp-client.js';
import { mucEnv } from './scenarios/muc.scenario.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const codes = (s: XmppElement): string[] => (s.getChild('x', USER)?.getChildren('status') ?? []).map((c: XmppElement) => c.attrs.code as string);

// SINT's mucLeaveTest: join a new (locked) room, leave it (the room goes with its last occupant,
// XEP-0045 §10.1.3), join again at once: every join gets its self-presence.
describe('XEP-0045: leave a temporary room and join it again at once (cluster)', () => {
  let c: Cluster;
  const clients: TestClient[] = [];
  before(async () => {
    c = await startCluster({ mucs: 1, env: mucEnv });
  });
  after(async () => {
    for (const cl of clients) await cl.stop();
    await c?.stop();
  });

  it('each re-join is answered', async () => {
    trustCertificate(c.certPem());
    // four users side by side, each within muc.maxJoinsPerMinute (60)
    await Promise.all(
      [0, 1, 2, 3].map(async (u) => {
        const name = `rejoin${u}`;
        await addUser(`${name}@${c.domain}`, 'rejoin-password', c.adminPort);
        const e = c.edges[u % c.edges.length]!;
        const client = await connect(`xmpp://${e.host}:${e.c2sPort}`, name, 'rejoin-password', 'e2e', c.domain);
        clients.push(client);
        await client.send(xml('presence'));
        for (let i = 0; i < 25; i++) {
          const occupant = `leave-${u}-${i}@conference.${c.domain}/nick`;
          const self = (type: string | undefined) => (s: XmppElement) =>
            s.is('presence') && s.attrs.from === occupant && s.attrs.type === type && codes(s).includes('110');
          await client.send(xml('presence', { to: occupant, id: `j${i}` }, xml('x', { xmlns: MUC })));
          await client.waitFor(`join ${u}/${i}`, self(undefined), 5_000);
          await client.send(xml('presence', { to: occupant, id: `l${i}`, type: 'unavailable' }));
          await client.waitFor(`leave ${u}/${i}`, self('unavailable'), 5_000);
          await client.send(xml('presence', { to: occupant, id: `r${i}` }, xml('x', { xmlns: MUC })));
          const again = await client.waitFor(`re-join ${u}/${i}`, self(undefined), 5_000);
          assert.ok(codes(again).includes('201'), 'the room was made anew');
          await client.send(xml('presence', { to: occupant, id: `e${i}`, type: 'unavailable' }));
          await client.waitFor(`leave again ${u}/${i}`, self('unavailable'), 5_000);
        }
      }),
    );
  });
});
