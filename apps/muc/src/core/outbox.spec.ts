import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '#libs/sessions';
import { MucHarness, SERVICE } from '../testing/muc-harness.js';

const ROOM = `fan@${SERVICE}`;

/** `users` enter ROOM as `<nick><i>`, the first creating it as an instant room (XEP-0045 §10.1.2); what they were sent is taken. */
async function enter(h: MucHarness, users: SessionInfo[], nick: string): Promise<void> {
  for (const [i, u] of users.entries()) {
    await h.send(u, `<presence to="${ROOM}/${nick}${i}"/>`);
    if (i === 0)
      await h.send(
        u,
        `<iq type="set" id="c" to="${ROOM}"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
      );
  }
  for (const u of users) h.take(u);
}

/** Per-edge fan-out (issue 12): a room's stanzas to sessions on one edge go in DeliveryBatch requests of muc.fanoutBatchMax. */
describe('muc fan-out: one bus request per edge and batch, not one per occupant', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start({ muc: { fanoutBatchMax: 4 } });
  });
  after(async () => {
    await h?.close();
  });

  it('a message to 6 occupants on one edge: batches of 4 and 2, everyone gets it once, a gone session is taken out (333)', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, (_, i) => h.login(`u${i}@example.com/r`)));
    await enter(h, users, 'u');
    h.batches.length = 0;
    h.fanouts.length = 0;
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>to all</body></message>`);
    assert.deepEqual(h.batches, [4, 2]);
    // one stanza's copies: DeliveryFanout requests (its bytes once), not whole copies per session
    assert.deepEqual(h.fanouts, [4, 2]);
    for (const u of users) {
      const got = h.take(u);
      assert.deepEqual(
        got.map((e) => e.getChildText('body')),
        ['to all'],
      );
      assert.equal(got[0]!.attrs.to, u.jid);
    }

    h.vanished.add(users[5]!.sessionId);
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>again</body></message>`);
    await h.waitFor(
      () => h.received.some((r) => r.el.name === 'presence' && r.el.attrs.type === 'unavailable' && r.el.attrs.from === `${ROOM}/u5`),
      'u5 taken out',
    );
    assert.equal(h.take(users[1]!).filter((e) => e.getChildText('body') === 'again').length, 1);
  });
});

describe('muc fan-out with muc.fanoutShared false: whole copies in DeliveryBatch requests', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start({ muc: { fanoutBatchMax: 4, fanoutShared: false } });
  });
  after(async () => {
    await h?.close();
  });

  it('a message to 3 occupants goes as one DeliveryBatch, each copy addressed to its session', async () => {
    // resources that need escaping in an attribute: the copy's `to` must still read back as the JID
    const users = await Promise.all(['a"q', 'b&amp', 'c<é>'].map((r, i) => h.login(`v${i}@example.com/${r}`)));
    await enter(h, users, 'v');
    h.batches.length = 0;
    h.fanouts.length = 0;
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>plain</body></message>`);
    assert.deepEqual(h.batches, [3]);
    assert.deepEqual(h.fanouts, []);
    for (const u of users)
      assert.deepEqual(
        h.take(u).map((e) => [e.attrs.to, e.getChildText('body')]),
        [[u.jid, 'plain']],
      );
  });
});

describe('muc fan-out an edge does not acknowledge', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start({ bus: { partitions: 8, heartbeatMs: 100, requestTimeoutMs: 2000, deliveryAckTimeoutMs: 300 } });
  });
  after(async () => {
    await h?.close();
  });

  it('the message is not taken (the router bounces it, the resend reaches who missed it), never dropped in silence', async () => {
    const users = await Promise.all(['w0', 'w1', 'w2'].map((n) => h.login(`${n}@example.com/r`)));
    await enter(h, users, 'w');
    const message = `<message to="${ROOM}" type="groupchat"><body>lost?</body><origin-id xmlns="urn:xmpp:sid:0" id="o1"/></message>`;
    // an edge that does not know DeliveryFanout (or is stalled) never answers it
    h.ignoreFanouts = true;
    const ack = await h.send(users[0]!, message);
    assert.equal(ack.taken, false, 'not acknowledged by the edge: the sender is told, so it resends');
    // the resend (same origin-id) goes out again under the same delivery key: everyone gets it now
    h.ignoreFanouts = false;
    assert.equal((await h.send(users[0]!, message)).taken, true);
    for (const u of users)
      assert.deepEqual(
        h.take(u).map((e) => e.getChildText('body')),
        ['lost?'],
      );
  });
});

/**
 * A muc replica looks sessions up without watching the registry (libs/runtime `sessions: 'lookup'`):
 * its cached record of an occupant can name a session that moved. The old edge's session-gone makes
 * it read the store, and the stanza goes where the full JID is now; an occupant is taken out only
 * when the store still names the session its edge denied.
 */
describe('muc delivery by a stale looked-up session', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start({ muc: { fanoutBatchMax: 4 } });
  });
  after(async () => {
    await h?.close();
  });

  it('the full JID bound again (a new session): the message reaches the new session, the occupant stays', async () => {
    const users = await Promise.all(['m0', 'm1', 'm2'].map((n) => h.login(`${n}@example.com/r`)));
    await enter(h, users, 'm');
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>one</body></message>`);
    for (const u of users) h.take(u);
    // m2 reconnects with the same resource: a new session id in the store; muc still caches s-old
    const again = await h.login(users[2]!.jid);
    assert.notEqual(again.sessionId, users[2]!.sessionId);
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>two</body></message>`);
    assert.deepEqual(
      h.take(again).map((e) => e.getChildText('body')),
      ['two'],
      'delivered to the session the store names now',
    );
    await h.send(users[1]!, `<message to="${ROOM}" type="groupchat"><body>three</body></message>`);
    assert.deepEqual(
      h.take(again).map((e) => e.getChildText('body')),
      ['three'],
      'and from then on straight to it',
    );
    assert.ok(
      !h.received.some((r) => r.el.name === 'presence' && r.el.attrs.type === 'unavailable' && r.el.attrs.from === `${ROOM}/m2`),
      'm2 was not taken out of the room',
    );
  });

  it('the session ended (no record): nothing is sent to it and it is not taken out as gone; presence tells the room', async () => {
    const users = await Promise.all(['n0', 'n1'].map((n) => h.login(`${n}@example.com/r`)));
    await enter(h, users, 'n');
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>one</body></message>`);
    for (const u of users) h.take(u);
    assert.ok(await h.registry.remove(users[1]!.jid, users[1]!.sessionId));
    const ack = await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>two</body></message>`);
    assert.equal(ack.taken, true);
    assert.deepEqual(h.take(users[1]!), []);
    // a removal as gone would be a leave sent to the room's partition before that Ack: the next
    // stanza there comes after it
    await h.send(users[0]!, `<message to="${ROOM}" type="groupchat"><body>three</body></message>`);
    assert.deepEqual(
      h.take(users[0]!).map((e) => e.getChildText('body')),
      ['two', 'three'],
    );
    assert.ok(
      !h.received.some((r) => r.el.name === 'presence' && r.el.attrs.type === 'unavailable' && r.el.attrs.from === `${ROOM}/n1`),
      'no status 333 for an ended session',
    );
  });
});
