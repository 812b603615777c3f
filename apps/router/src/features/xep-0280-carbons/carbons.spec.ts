import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Element, xml } from '#libs/xml';
import { DOMAIN, RouterHarness, errorCondition } from '../../testing/router-harness.js';

const CARBONS = 'urn:xmpp:carbons:2';
const FORWARD = 'urn:xmpp:forward:0';

const chat = (to: string, body: string, ...extra: Element[]) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body), ...extra);
const carbonOf = (el: Element) => {
  const wrap = el.getChild('received', CARBONS) ?? el.getChild('sent', CARBONS);
  return { direction: wrap?.name, inner: wrap?.getChild('forwarded', FORWARD)?.getChild('message') };
};

describe('XEP-0280 message carbons', () => {
  let h: RouterHarness;
  let n = 0;
  before(async () => {
    h = await RouterHarness.start();
  });
  after(() => h.close());

  /** alice with a pc and a phone (carbons on the phone unless told), and bob on a laptop. */
  async function users(opts: { pcPriority?: number; carbonsOnPc?: boolean } = {}) {
    const edge = h.edge(`edge-${++n}`);
    const alice = await h.createUser(`alice${n}`);
    const bob = await h.createUser(`bob${n}`);
    const pc = await edge.bind(`${alice}/pc`, { priority: opts.pcPriority ?? 1 });
    const phone = await edge.bind(`${alice}/phone`, { priority: 0 });
    const laptop = await edge.bind(`${bob}/laptop`);
    const enable = async (s: typeof pc) =>
      assert.equal((await edge.ask(s, xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })))).attrs.type, 'result');
    await enable(phone);
    if (opts.carbonsOnPc) await enable(pc);
    edge.clear();
    return { edge, alice, bob, pc, phone, laptop };
  }

  test('§4/§5: enable and disable set the session flag in the shared registry; repeats are results (§10.1)', async () => {
    const { edge, pc } = await users();
    for (const [name, want] of [
      ['enable', true],
      ['enable', true],
      ['disable', undefined],
      ['disable', undefined],
    ] as const) {
      const r = await edge.ask(pc, xml('iq', { type: 'set' }, xml(name, { xmlns: CARBONS })));
      assert.equal(r.attrs.type, 'result', name);
      assert.equal((await h.registry.get(pc.jid))?.carbons || undefined, want, name);
    }
    const toServer = await edge.ask(pc, xml('iq', { type: 'set', to: DOMAIN }, xml('enable', { xmlns: CARBONS })));
    assert.equal(toServer.attrs.type, 'result');
    assert.equal((await h.registry.get(pc.jid))?.carbons, true);
  });

  test("§4.1/§5.1: another user's account is not-allowed; an unknown element is bad-request", async () => {
    const { edge, laptop, alice } = await users();
    for (const name of ['enable', 'disable']) {
      const r = await edge.ask(laptop, xml('iq', { type: 'set', to: alice }, xml(name, { xmlns: CARBONS })));
      assert.equal(r.attrs.type, 'error');
      assert.equal(errorCondition(r), 'not-allowed');
    }
    assert.equal((await h.registry.get(laptop.jid))?.carbons, undefined);
    const bad = await edge.ask(laptop, xml('iq', { type: 'set' }, xml('enabled', { xmlns: CARBONS })));
    assert.equal(errorCondition(bad), 'bad-request');
  });

  test('§6: a received chat to the pc (full and bare JID) is copied to the carbons-enabled phone', async () => {
    const { edge, alice, bob, pc, phone, laptop } = await users();
    assert.deepEqual(await edge.send(laptop, chat(`${alice}/pc`, 'full')), { taken: true });
    assert.deepEqual(await edge.send(laptop, chat(alice, 'bare')), { taken: true });
    await h.delivered();
    assert.deepEqual(
      edge.for(pc).map((m) => m.getChildText('body')),
      ['full', 'bare'],
    );
    const copies = edge.for(phone);
    assert.equal(copies.length, 2);
    for (const [i, c] of copies.entries()) {
      assert.deepEqual([c.attrs.from, c.attrs.to, c.attrs.type], [alice, phone.jid, 'chat']);
      const { direction, inner } = carbonOf(c);
      assert.equal(direction, 'received');
      assert.deepEqual([inner?.attrs.xmlns, inner?.attrs.from, inner?.getChildText('body')], ['jabber:client', laptop.jid, ['full', 'bare'][i]]);
      assert.equal(inner?.attrs.to, i === 0 ? `${alice}/pc` : alice);
    }
    assert.equal(edge.for(laptop).length, 0, 'the sender gets nothing back');
    assert.ok(bob);
  });

  test('§6: a resource that got the original gets no copy (equal priorities: both get it)', async () => {
    const { edge, alice, pc, phone, laptop } = await users({ pcPriority: 0, carbonsOnPc: true });
    await edge.send(laptop, chat(alice, 'both'));
    await h.delivered();
    for (const s of [pc, phone])
      assert.deepEqual(
        edge.for(s).map((m) => [m.getChildText('body'), carbonOf(m).direction]),
        [['both', undefined]],
      );
  });

  test('§7: a sent chat is copied to the other carbons-enabled resources, not the sender', async () => {
    const { edge, alice, bob, pc, phone, laptop } = await users({ carbonsOnPc: true });
    await edge.send(pc, xml('message', { to: bob, id: 'n1' }, xml('body', {}, 'normal with a body')));
    await h.delivered();
    assert.equal(edge.for(laptop).length, 1);
    assert.equal(edge.for(pc).length, 0);
    const [copy] = edge.for(phone);
    assert.deepEqual([copy?.attrs.from, copy?.attrs.to, copy?.attrs.type], [alice, phone.jid, undefined]);
    const { direction, inner } = carbonOf(copy!);
    assert.equal(direction, 'sent');
    assert.deepEqual([inner?.attrs.from, inner?.attrs.to, inner?.getChildText('body')], [pc.jid, bob, 'normal with a body']);
  });

  test('§6/§8, XEP-0334: private, no-copy, MUC private messages, carbons, headlines and bodyless normals are not copied', async () => {
    const { edge, alice, bob, phone, pc, laptop } = await users();
    const notCopied = [
      chat(alice, 'private', xml('private', { xmlns: CARBONS })),
      chat(alice, 'no-copy', xml('no-copy', { xmlns: 'urn:xmpp:hints' })),
      chat(alice, 'muc-pm', xml('x', { xmlns: 'http://jabber.org/protocol/muc#user' })),
      chat(alice, 'carbon', xml('received', { xmlns: CARBONS }, xml('forwarded', { xmlns: FORWARD }))),
      xml('message', { to: alice, type: 'headline', id: 'headline' }, xml('body', {}, 'headline')),
      xml('message', { to: alice, id: 'state' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })),
    ];
    for (const m of notCopied) await edge.send(laptop, m);
    // Sent side: private from the pc, and a MUC PM; the phone gets neither.
    await edge.send(pc, chat(bob, 'sent-private', xml('private', { xmlns: CARBONS })));
    await edge.send(pc, chat(bob, 'sent-no-copy', xml('no-copy', { xmlns: 'urn:xmpp:hints' })));
    await h.delivered();
    // §8: the recipient gets the private message without <private/>; the no-copy hint stays (XEP-0334 is end-to-end).
    const atPc = edge.for(pc);
    assert.equal(atPc.find((m) => m.attrs.id === 'private')?.getChild('private', CARBONS), undefined);
    assert.equal(atPc.find((m) => m.attrs.id === 'private')?.getChildText('body'), 'private');
    assert.ok(atPc.find((m) => m.attrs.id === 'no-copy')?.getChild('no-copy', 'urn:xmpp:hints'));
    // headline goes to every non-negative resource (RFC 6121 §8.5.2.1.1), as itself, not as a carbon
    assert.deepEqual(
      edge.for(phone).map((m) => [m.attrs.id, carbonOf(m).direction]),
      [['headline', undefined]],
    );
    assert.equal(edge.for(laptop).length, 2);
  });

  test('chat states are copied (§10.2); a disabled resource gets nothing', async () => {
    const { edge, alice, bob, pc, phone, laptop } = await users();
    await edge.send(laptop, xml('message', { to: alice, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await h.delivered();
    assert.equal(edge.for(phone).length, 1);
    assert.equal((await edge.ask(phone, xml('iq', { type: 'set' }, xml('disable', { xmlns: CARBONS })))).attrs.type, 'result');
    edge.clear();
    await edge.send(laptop, chat(alice, 'after-disable'));
    await edge.send(pc, chat(bob, 'sent-after-disable'));
    await h.delivered();
    assert.deepEqual(edge.for(phone), []);
  });

  test('§6: with no resource to deliver to (stored offline), a carbons-enabled session without presence still gets a copy', async () => {
    const edge = h.edge(`edge-${++n}`);
    const alice = await h.createUser(`alice${n}`);
    const bob = await h.createUser(`bob${n}`);
    const quiet = await edge.bind(`${alice}/quiet`, { available: false });
    const laptop = await edge.bind(`${bob}/laptop`);
    assert.equal((await edge.ask(quiet, xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })))).attrs.type, 'result');
    edge.clear();
    assert.deepEqual(await edge.send(laptop, chat(alice, 'while away')), { taken: true });
    await h.delivered();
    const [copy] = edge.for(quiet);
    assert.equal(carbonOf(copy!).direction, 'received');
    assert.equal(carbonOf(copy!).inner?.getChildText('body'), 'while away');
    assert.equal(await h.storage.offline.count(alice), 1, 'and the original is stored');
  });

  test('a copy the edge does not take is dropped: the original is delivered, the sender acked, nothing bounced', async () => {
    const { edge, alice, pc, phone, laptop } = await users();
    edge.behave(phone, 'gone');
    assert.deepEqual(await edge.send(laptop, chat(alice, 'original')), { taken: true });
    await h.delivered();
    assert.deepEqual(
      edge.for(pc).map((m) => m.getChildText('body')),
      ['original'],
    );
    assert.deepEqual(edge.for(laptop), []);
    assert.deepEqual(edge.for(phone), []);
  });

  test('XEP-0030: the server advertises urn:xmpp:carbons:2', async () => {
    const { edge, pc } = await users();
    const r = await edge.ask(pc, xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      r
        .getChild('query')
        ?.getChildren('feature')
        .some((f) => f.attrs.var === CARBONS),
    );
  });
});
