import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RosterItem } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const presences = (els: Element[], type?: string) => els.filter((e) => e.name === 'presence' && e.attrs.type === type);
const item = (jid: string, subscription: RosterItem['subscription']): RosterItem => ({
  jid,
  subscription,
  askOut: false,
  askIn: false,
  approved: false,
  groups: [],
});

describe('RFC 6121 §4 presence', () => {
  let h: PresenceHarness;
  /** Everything routed so far has reached the fake edges (the acks came first): no fixed sleep. */
  const settle = () => h.delivered();
  let n = 0;
  /** Two users subscribed to each other (both). */
  async function pair(): Promise<[string, string]> {
    n++;
    const a = await h.createUser(`a${n}`);
    const b = await h.createUser(`b${n}`);
    await h.storage.rosters.modify(a, b, () => item(b, 'both'));
    await h.storage.rosters.modify(b, a, () => item(a, 'both'));
    return [a, b];
  }

  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());

  test('§4.2 initial presence: recorded, broadcast to subscribers and own resources, AVAILABLE to the router', async () => {
    const [a, b] = await pair();
    const b1 = await h.login(`${b}/phone`, 3);
    await settle();
    h.clear();
    const a1 = await h.bind(`${a}/pc`);
    await h.send(a1, xml('presence', {}, xml('priority', {}, '5'), xml('status', {}, 'here')));
    await settle();
    const rec = await h.registry.get(a1.jid);
    assert.equal(rec?.available, true);
    assert.equal(rec?.priority, 5);
    const atB = presences(h.for(b1)).find((p) => p.attrs.from === a1.jid);
    assert.equal(atB?.getChildText('status'), 'here');
    assert.equal(atB?.attrs.to, b1.jid);
    assert.ok(
      presences(h.for(a1)).some((p) => p.attrs.from === a1.jid),
      'echoed to the sender (§4.2.2)',
    );
    assert.ok(
      presences(h.for(a1)).some((p) => p.attrs.from === b1.jid),
      "the probe answer: b's presence (§4.3)",
    );
    assert.deepEqual(
      h.toRouter.map((f) => [f.session?.kind, f.session?.jid]),
      [['AVAILABLE', a1.jid]],
    );
  });

  test('§4.2 negative priority: available, but no offline flush until the priority turns non-negative', async () => {
    const [a] = await pair();
    h.clear();
    const s = await h.login(`${a}/bot`, -1);
    await settle();
    assert.equal(s.available, true);
    assert.equal(h.toRouter.length, 0);
    await h.send(s, xml('presence', {}, xml('priority', {}, '1')));
    await settle();
    assert.deepEqual(
      h.toRouter.map((f) => f.session?.kind),
      ['AVAILABLE'],
    );
  });

  test("§4.2.2 a new resource sees the user's other resources; §4.4 updates go to everyone again", async () => {
    const [a, b] = await pair();
    const b1 = await h.login(`${b}/phone`);
    const a1 = await h.login(`${a}/pc`);
    await settle();
    h.clear();
    const a2 = await h.login(`${a}/laptop`);
    await settle();
    assert.ok(presences(h.for(a2)).some((p) => p.attrs.from === a1.jid));
    assert.ok(presences(h.for(a1)).some((p) => p.attrs.from === a2.jid));
    h.clear();
    await h.send(a1, xml('presence', {}, xml('show', {}, 'away')));
    await settle();
    for (const s of [a1, a2, b1])
      assert.equal(
        presences(h.for(s))
          .find((p) => p.attrs.from === a1.jid)
          ?.getChildText('show'),
        'away',
        s.jid,
      );
    assert.equal(h.toRouter.length, 0, 'subsequent presence flushes nothing');
  });

  test('§4.5 unavailable: to subscribers and own resources; last activity recorded with the last resource', async () => {
    const [a, b] = await pair();
    const b1 = await h.login(`${b}/phone`);
    const a1 = await h.login(`${a}/pc`);
    await settle();
    h.clear();
    await h.send(a1, xml('presence', { type: 'unavailable' }, xml('status', {}, 'gone fishing')));
    await settle();
    assert.equal(presences(h.for(b1), 'unavailable')[0]?.attrs.from, a1.jid);
    assert.equal((await h.registry.get(a1.jid))?.available, false);
    assert.equal((await h.storage.lastActivity.get(a))?.status, 'gone fishing');
  });

  test('session ENDED: unavailable broadcast for an available session, with its status, and last activity', async () => {
    const [a, b] = await pair();
    const b1 = await h.login(`${b}/phone`);
    const a1 = await h.login(`${a}/pc`);
    await settle();
    h.clear();
    await h.end(a1, 'connection lost');
    await settle();
    const [gone] = presences(h.for(b1), 'unavailable');
    assert.equal(gone?.attrs.from, a1.jid);
    assert.equal(gone?.getChildText('status'), 'connection lost');
    assert.ok(await h.storage.lastActivity.get(a));
  });

  test('§4.6 directed presence reaches only its target, which learns of the disconnect', async () => {
    const [a] = await pair();
    const stranger = await h.createUser(`stranger${n}`);
    const s1 = await h.login(`${stranger}/pc`);
    const a1 = await h.login(`${a}/pc`);
    await settle();
    h.clear();
    await h.send(a1, xml('presence', { to: s1.jid }, xml('status', {}, 'psst')));
    await settle();
    assert.equal(presences(h.for(s1))[0]?.getChildText('status'), 'psst');
    h.clear();
    await h.end(a1);
    await settle();
    assert.equal(presences(h.for(s1), 'unavailable')[0]?.attrs.from, a1.jid);
  });

  test('RFC 6120 §10.4.3 presence for a domain we cannot reach comes back as remote-server-not-found', async () => {
    const [a] = await pair();
    const a1 = await h.login(`${a}/pc`);
    await settle();
    h.clear();
    assert.equal(DOMAIN, 'example.com');
    const ack = await h.send(a1, xml('presence', { to: 'room@conference.elsewhere.example/nick' }, xml('x', { xmlns: 'http://jabber.org/protocol/muc' })));
    assert.equal(ack.taken, true, 'taken, then bounced');
    await h.send(a1, xml('presence', { to: 'bob@elsewhere.example', type: 'subscribe' }));
    await h.send(a1, xml('presence', { to: 'bob@elsewhere.example', type: 'error' }));
    await settle();
    const errors = presences(h.for(a1), 'error');
    assert.deepEqual(
      errors.map((e) => [e.attrs.from, e.attrs.to, e.getChild('error')?.attrs.type, e.getChild('error')?.getChild('remote-server-not-found') !== undefined]),
      [
        ['room@conference.elsewhere.example/nick', a1.jid, 'cancel', true],
        ['bob@elsewhere.example', a1.jid, 'cancel', true],
      ],
      'one bounce each, none for an error',
    );
    const pending = await h.storage.rosters.getItem(a, 'bob@elsewhere.example');
    assert.equal(pending?.askOut, true, 'the subscription request is still recorded in the roster (RFC 6121 §3.1.2)');
  });

  test('§4.3.2 a probe: subscribed probers get the last presence, others learn nothing', async () => {
    const [a, b] = await pair();
    const a1 = await h.login(`${a}/pc`);
    const b1 = await h.login(`${b}/pc`);
    const stranger = await h.createUser(`nosy${n}`);
    const s1 = await h.login(`${stranger}/pc`);
    await settle();
    h.clear();
    await h.inbound(xml('presence', { from: b1.jid, to: a, type: 'probe' }));
    await h.inbound(xml('presence', { from: s1.jid, to: a, type: 'probe' }));
    await settle();
    assert.ok(presences(h.for(b1)).some((p) => p.attrs.from === a1.jid));
    // the `unsubscribed` answer finds no request pending at the prober's side (A.3.4): not delivered
    assert.equal(h.for(s1).length, 0);
    // nobody online: unavailable, with the last status and when (XEP-0203)
    await h.end(a1, 'bye');
    await settle();
    h.clear();
    await h.inbound(xml('presence', { from: b1.jid, to: a, type: 'probe' }));
    await settle();
    const [off] = presences(h.for(b1), 'unavailable');
    assert.equal(off?.attrs.from, a);
    assert.equal(off?.getChildText('status'), 'bye');
    assert.ok(off?.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp);
  });
});
