import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { NS } from '#libs/stanza';
import type { RosterItem } from '#libs/storage';
import { waitFor } from '#libs/testing';
import { xml, type Element } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';

const B = NS.blocking;
const items = (...jids: string[]) => jids.map((jid) => xml('item', { jid }));
const iq = (type: 'get' | 'set', id: string, payload: Element) => xml('iq', { type, id }, payload);
const condition = (el: Element | undefined) => el?.getChild('error')?.elements()[0]?.name;
const both = (jid: string): RosterItem => ({ jid, subscription: 'both', askOut: false, askIn: false, approved: false, groups: [] });
const presencesFrom = (els: Element[], from: string, type?: string) =>
  els.filter((e) => e.name === 'presence' && e.attrs.from === from && e.attrs.type === type);

describe('XEP-0191 blocking (presence service)', () => {
  let h: PresenceHarness;
  const settle = () => h.delivered();
  let alice: string;
  let bob: string;
  let n = 0;
  const answer = (s: Parameters<PresenceHarness['for']>[0], id: string) => h.for(s).find((e) => e.name === 'iq' && e.attrs.id === id);

  before(async () => {
    h = await PresenceHarness.start({ features: { blocking: { maxItems: 3, maxItemsPerRequest: 4 } } });
  });
  after(() => h.close());
  beforeEach(async () => {
    n++;
    alice = await h.createUser(`alice${n}`);
    bob = await h.createUser(`bob${n}`);
    h.clear();
  });

  test('§3.2/§3.3 list and block; the push goes to the resources that asked for the list, in request order', async () => {
    const pc = await h.bind(`${alice}/pc`);
    const phone = await h.bind(`${alice}/phone`);
    const bot = await h.bind(`${alice}/bot`); // never asks for the list: no pushes
    await h.send(pc, iq('get', 'l1', xml('blocklist', { xmlns: B })));
    await h.send(phone, iq('get', 'l2', xml('blocklist', { xmlns: B })));
    await settle();
    assert.equal(answer(pc, 'l1')?.getChild('blocklist', B)?.elements().length, 0);
    assert.equal((await h.registry.get(phone.jid))?.blocklist, true);
    assert.equal((await h.registry.get(bot.jid))?.blocklist, undefined);
    await h.send(pc, iq('set', 'b1', xml('block', { xmlns: B }, items(bob, 'Spam.Example', bob))));
    await settle();
    assert.equal(answer(pc, 'b1')?.attrs.type, 'result');
    for (const s of [pc, phone]) {
      const push = h.for(s).find((e) => e.attrs.type === 'set' && e.getChild('block', B));
      assert.deepEqual(
        push
          ?.getChild('block', B)
          ?.elements()
          .map((i) => i.attrs.jid),
        [bob, 'spam.example'],
        `push to ${s.jid} (normalized, no repeats)`,
      );
      assert.equal(push?.attrs.to, s.jid);
    }
    assert.equal(h.for(bot).length, 0);
    await h.send(bot, iq('get', 'l3', xml('blocklist', { xmlns: B })));
    await settle();
    assert.deepEqual(
      answer(bot, 'l3')
        ?.getChild('blocklist', B)
        ?.elements()
        .map((i) => i.attrs.jid),
      [bob, 'spam.example'],
    );
  });

  test('bad input: empty block, malformed JID, an item without jid, a foreign child, the wrong payload; nothing stored', async () => {
    const pc = await h.bind(`${alice}/pc`);
    const cases: [string, Element, string][] = [
      ['e1', iq('set', 'e1', xml('block', { xmlns: B })), 'bad-request'],
      ['e2', iq('set', 'e2', xml('block', { xmlns: B }, items('a@@b'))), 'jid-malformed'],
      ['e3', iq('set', 'e3', xml('block', { xmlns: B }, xml('item', {}))), 'bad-request'],
      ['e4', iq('set', 'e4', xml('block', { xmlns: B }, xml('jid', {}, bob))), 'bad-request'],
      ['e5', iq('set', 'e5', xml('blocklist', { xmlns: B })), 'bad-request'],
      ['e6', iq('get', 'e6', xml('block', { xmlns: B }, items(bob))), 'bad-request'],
      ['e7', iq('set', 'e7', xml('block', { xmlns: B }, items('a@x', 'b@x', 'c@x', 'd@x', 'e@x'))), 'policy-violation'],
    ];
    for (const [, el] of cases) await h.send(pc, el);
    await settle();
    for (const [id, , cond] of cases) assert.equal(condition(answer(pc, id)), cond, id);
    assert.deepEqual(await h.storage.blocklist.list(alice), []);
  });

  test('features.blocking.maxItems: a block past it is <policy-violation/> and blocks none; unblocking what is not blocked is fine', async () => {
    const pc = await h.bind(`${alice}/pc`);
    await h.send(pc, iq('set', 'a', xml('block', { xmlns: B }, items('a@x', 'b@x'))));
    await h.send(pc, iq('set', 'b', xml('block', { xmlns: B }, items('c@x', 'd@x'))));
    await h.send(pc, iq('set', 'c', xml('block', { xmlns: B }, items('a@x', 'c@x'))));
    await h.send(pc, iq('set', 'd', xml('unblock', { xmlns: B }, items('never@x'))));
    await settle();
    assert.equal(answer(pc, 'a')?.attrs.type, 'result');
    assert.equal(condition(answer(pc, 'b')), 'policy-violation');
    assert.equal(answer(pc, 'c')?.attrs.type, 'result', 'a JID already blocked does not count twice');
    assert.equal(answer(pc, 'd')?.attrs.type, 'result');
    assert.deepEqual(await h.storage.blocklist.list(alice), ['a@x', 'b@x', 'c@x']);
  });

  test('§3.3–§3.5 presence: offline to the blocked contact, nothing from it (probes unanswered), directed presence refused, back on unblock', async () => {
    await h.storage.rosters.modify(alice, bob, () => both(bob));
    await h.storage.rosters.modify(bob, alice, () => both(alice));
    const b1 = await h.login(`${bob}/laptop`);
    const a1 = await h.login(`${alice}/pc`);
    await settle();
    h.clear();
    await h.send(a1, iq('set', 'blk', xml('block', { xmlns: B }, items(bob))));
    await settle();
    assert.equal(presencesFrom(h.for(b1), a1.jid, 'unavailable').length, 1, 'bob sees alice go offline');
    h.clear();
    // bob's presence, a probe from bob, and alice's new presence: none crosses
    await h.send(b1, xml('presence', {}, xml('status', {}, 'bob again')));
    await h.inbound(xml('presence', { from: b1.jid, to: alice, type: 'probe' }));
    await h.send(a1, xml('presence', {}, xml('status', {}, 'alice again')));
    await h.send(a1, xml('presence', { to: bob, type: 'subscribe' }));
    await settle();
    assert.equal(presencesFrom(h.for(a1), b1.jid).length, 0, 'no presence from bob');
    assert.equal(presencesFrom(h.for(b1), a1.jid).length, 0, 'no presence to bob');
    const refused = h.for(a1).find((e) => e.name === 'presence' && e.attrs.type === 'error');
    assert.equal(condition(refused), 'not-acceptable');
    assert.ok(refused?.getChild('error')?.getChild('blocked', NS.blockingErrors));
    assert.equal((await h.storage.rosters.getItem(alice, bob))?.askOut, false, 'the refused subscribe changed nothing');
    h.clear();
    await h.send(a1, iq('set', 'unb', xml('unblock', { xmlns: B })));
    await settle();
    assert.equal(presencesFrom(h.for(b1), a1.jid)[0]?.getChildText('status'), 'alice again', 'bob sees alice again (§3.4)');
  });
});

describe('XEP-0191 off (features.blocking.enabled: false)', () => {
  let h: PresenceHarness;
  before(async () => {
    h = await PresenceHarness.start({ features: { blocking: { enabled: false } } });
  });
  after(() => h.close());

  test('claims no blocking IQ and advertises nothing (disco never promises what is not there)', async () => {
    const claims = h.presence.runtime.iq.claims().account.map((c) => c.ns);
    assert.ok(claims.includes(NS.roster), 'the roster is still there');
    assert.ok(!claims.includes(B));
    // once presence's declaration is in the table (the roster's feature shows it), blocking is not in it
    await waitFor(() => h.presence.runtime.addressing.discoFeatures().includes(NS.roster), { what: 'presence declared' });
    assert.ok(!h.presence.runtime.addressing.discoFeatures().includes(B));
  });
});

describe('XEP-0191 on: claimed as an own-account IQ and advertised', () => {
  let h: PresenceHarness;
  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());

  test('the addressing table learns urn:xmpp:blocking (own account only)', async () => {
    assert.deepEqual(
      h.presence.runtime.iq.claims().account.find((c) => c.ns === B),
      { ns: B, ownOnly: true, features: [] },
    );
    await waitFor(() => h.presence.runtime.addressing.discoFeatures().includes(B), { what: 'the declaration with the disco feature' });
  });
});
