import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml, type Element } from '#libs/xml';
import { DOMAIN, PresenceHarness } from '../../testing/presence-harness.js';

const ROSTER = 'jabber:iq:roster';
const pushes = (els: Element[]) =>
  els.filter((e) => e.name === 'iq' && e.attrs.type === 'set').map((e) => e.getChild('query', ROSTER)!.getChild('item')!.attrs);
const presences = (els: Element[], type?: string) => els.filter((e) => e.name === 'presence' && e.attrs.type === type);

describe('RFC 6121 §3 subscription handshake between local users', () => {
  let h: PresenceHarness;
  /** Everything routed so far has reached the fake edges (the acks came first): no fixed sleep. */
  const settle = () => h.delivered();
  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());

  test('§3.1 subscribe → pending; subscribed → to/from, with presence flowing', async () => {
    const alice = await h.createUser('alice');
    const bob = await h.createUser('bob');
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/phone`);
    await settle();
    h.clear();

    await h.send(a, xml('presence', { to: bob, type: 'subscribe', id: 'sub1' }, xml('status', {}, 'hi, it is alice')));
    await settle();
    assert.deepEqual(pushes(h.for(a)), [{ jid: bob, subscription: 'none', ask: 'subscribe' }]);
    const [req] = presences(h.for(b), 'subscribe');
    assert.equal(req?.attrs.from, alice, 'stamped with the bare JID (§3.1.2)');
    assert.equal(req?.getChildText('status'), 'hi, it is alice');
    assert.deepEqual(pushes(h.for(b)), [], 'a pending request is no roster item yet');
    h.clear();

    await h.send(b, xml('presence', { to: alice, type: 'subscribed' }));
    await settle();
    assert.deepEqual(pushes(h.for(b)), [{ jid: alice, subscription: 'from' }]);
    assert.deepEqual(pushes(h.for(a)), [{ jid: bob, subscription: 'to' }]);
    assert.equal(presences(h.for(a), 'subscribed')[0]?.attrs.from, bob);
    const seen = presences(h.for(a), undefined).find((p) => p.attrs.from === b.jid);
    assert.ok(seen, "bob's current presence reaches alice (§3.1.5)");
    assert.equal((await h.storage.rosters.getItem(alice, bob))?.subscription, 'to');
    assert.equal((await h.storage.rosters.getItem(bob, alice))?.subscription, 'from');
    h.clear();

    // §3.3: alice unsubscribes: bob loses 'from', and alice sees bob go unavailable.
    await h.send(a, xml('presence', { to: bob, type: 'unsubscribe' }));
    await settle();
    assert.deepEqual(pushes(h.for(a)), [{ jid: bob, subscription: 'none' }]);
    assert.deepEqual(pushes(h.for(b)), [{ jid: alice, subscription: 'none' }]);
    assert.equal(presences(h.for(b), 'unsubscribe').length, 1);
    assert.equal(presences(h.for(a), 'unavailable')[0]?.attrs.from, b.jid);
  });

  test('§3.1.3 a request to an offline user waits and is delivered again at each login', async () => {
    const carol = await h.createUser('carol');
    const dave = await h.createUser('dave');
    const c = await h.login(`${carol}/pc`);
    await h.send(c, xml('presence', { to: dave, type: 'subscribe' }));
    await settle();
    const d = await h.login(`${dave}/pc`);
    const got = await h.waitFor(d, 2);
    const req = presences(got, 'subscribe')[0];
    assert.equal(req?.attrs.from, carol);
    // a second request while pending is not delivered again (A.3.1 "None + Pending In")
    h.clear();
    await h.send(c, xml('presence', { to: dave, type: 'subscribe' }));
    await settle();
    assert.equal(presences(h.for(d), 'subscribe').length, 0);
  });

  test('§3.4 pre-approval: the request is answered by the server, never shown', async () => {
    const erin = await h.createUser('erin');
    const frank = await h.createUser('frank');
    const e = await h.login(`${erin}/pc`);
    const f = await h.login(`${frank}/pc`);
    await h.send(e, xml('presence', { to: frank, type: 'subscribed' }));
    await settle();
    assert.deepEqual(pushes(h.for(e)).at(-1), { jid: frank, subscription: 'none', approved: 'true' });
    assert.equal(presences(h.for(f), 'subscribed').length, 0, 'a pre-approval is not routed');
    h.clear();
    await h.send(f, xml('presence', { to: erin, type: 'subscribe' }));
    await settle();
    assert.equal(presences(h.for(e), 'subscribe').length, 0);
    assert.equal((await h.storage.rosters.getItem(erin, frank))?.subscription, 'from');
    assert.equal((await h.storage.rosters.getItem(frank, erin))?.subscription, 'to');
    assert.ok(
      presences(h.for(f), undefined).some((p) => p.attrs.from === e.jid),
      "erin's presence reaches frank",
    );
  });

  test('§3.1.3 a request to a user that does not exist → unsubscribed', async () => {
    const gina = await h.createUser('gina');
    const g = await h.login(`${gina}/pc`);
    h.clear();
    await h.send(g, xml('presence', { to: `nobody@${DOMAIN}`, type: 'subscribe' }));
    await settle();
    const [answer] = presences(h.for(g), 'unsubscribed');
    assert.equal(answer?.attrs.from, `nobody@${DOMAIN}`);
    assert.deepEqual(pushes(h.for(g)).at(-1), { jid: `nobody@${DOMAIN}`, subscription: 'none' });
  });

  test('§3.2 the contact cancels: unsubscribed removes "to" and the user sees it', async () => {
    const hank = await h.createUser('hank');
    const ida = await h.createUser('ida');
    const hk = await h.login(`${hank}/pc`);
    const i = await h.login(`${ida}/pc`);
    await h.send(hk, xml('presence', { to: ida, type: 'subscribe' }));
    await h.send(i, xml('presence', { to: hank, type: 'subscribed' }));
    await settle();
    h.clear();
    await h.send(i, xml('presence', { to: hank, type: 'unsubscribed' }));
    await settle();
    assert.equal((await h.storage.rosters.getItem(hank, ida))?.subscription, 'none');
    assert.equal((await h.storage.rosters.getItem(ida, hank))?.subscription, 'none');
    assert.equal(presences(h.for(hk), 'unsubscribed').length, 1);
    assert.equal(presences(h.for(hk), 'unavailable')[0]?.attrs.from, i.jid, "ida's resources go unavailable for hank");
  });

  test('§3.3.3 a request withdrawn before an answer: delivered, but no roster item appears and no presence leaves', async () => {
    // SINT's RosterIntegrationTest clean-up: the requester removes the contact it asked (§2.5.2
    // sends unsubscribe). The contact never had the requester in its roster (the pending request
    // was no item, §3.1.3), so it must not gain one now, nor send its presence to a non-subscriber.
    const jan = await h.createUser('jan');
    const kim = await h.createUser('kim');
    const j = await h.login(`${jan}/pc`);
    const k = await h.login(`${kim}/pc`);
    await h.send(j, xml('presence', { to: kim, type: 'subscribe' }));
    await settle();
    assert.equal(presences(h.for(k), 'subscribe').length, 1);
    h.clear();
    await h.send(j, xml('iq', { type: 'set', id: 'rm' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: kim, subscription: 'remove' }))));
    await settle();
    assert.equal(presences(h.for(k), 'unsubscribe').length, 1, 'the withdrawal is delivered (Appendix A.3.2)');
    assert.deepEqual(pushes(h.for(k)), [], 'no roster push to the contact (§3.3.3: its roster is unchanged)');
    assert.equal(await h.storage.rosters.getItem(kim, jan), undefined, 'nothing left of the request in its roster');
    assert.deepEqual(presences(h.for(j), 'unavailable'), [], 'kim never shared its presence with jan: no unavailable (§3.3.3)');
    h.clear();
    // The same with the contact's denial (§3.2, A.2.4): the request goes, no item is made for it.
    await h.send(j, xml('presence', { to: kim, type: 'subscribe' }));
    await settle();
    h.clear();
    await h.send(k, xml('presence', { to: jan, type: 'unsubscribed' }));
    await settle();
    assert.deepEqual(pushes(h.for(k)), [], 'denying a request adds nothing to the roster');
    assert.equal(await h.storage.rosters.getItem(kim, jan), undefined);
    assert.deepEqual(presences(h.for(j), 'unavailable'), []);
    assert.equal(presences(h.for(j), 'unsubscribed').length, 1);
  });
});

describe('presence.maxRosterItems bounds what subscriptions create', () => {
  test('a full roster refuses to ask (not-allowed) and drops new requests', async () => {
    const h = await PresenceHarness.start({ presence: { maxRosterItems: 1 } });
    const settle = () => h.delivered();
    try {
      const [a, b, c] = [await h.createUser('a'), await h.createUser('b'), await h.createUser('c')];
      const sa = await h.login(`${a}/pc`);
      const sc = await h.login(`${c}/pc`);
      await h.send(sa, xml('presence', { to: b, type: 'subscribe' }));
      await settle();
      h.clear();
      await h.send(sa, xml('presence', { to: c, type: 'subscribe', id: 'full' }));
      await settle();
      const [err] = presences(h.for(sa), 'error');
      assert.equal(err?.attrs.id, 'full');
      assert.equal(err?.getChild('error')?.getChild('not-allowed')?.name, 'not-allowed');
      assert.equal(presences(h.for(sc), 'subscribe').length, 0);
      await h.send(sc, xml('presence', { to: a, type: 'subscribe' }));
      await settle();
      assert.equal(presences(h.for(sa), 'subscribe').length, 0);
      assert.equal(await h.storage.rosters.getItem(a, c), undefined);
    } finally {
      await h.close();
    }
  });
});
