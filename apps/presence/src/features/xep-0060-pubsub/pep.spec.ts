import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeFrame, subjects } from '#libs/bus';
import { NS } from '#libs/stanza';
import type { RosterItem } from '#libs/storage';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';
import { events, form, iq, outcome, presenceWithCaps, pubsub } from '../../testing/pubsub-client.js';

const TUNE = 'http://jabber.org/protocol/tune';
const both = (jid: string): RosterItem => ({ jid, subscription: 'both', askOut: false, askIn: false, approved: false, groups: [] });
const tune = (title: string) => xml('tune', { xmlns: TUNE }, xml('title', {}, title));
const publish = (node: string, id: string | undefined, payload = tune('x')) => pubsub(xml('publish', { node }, xml('item', id ? { id } : {}, payload)));

describe('XEP-0163 PEP (presence service)', () => {
  let h: PresenceHarness;
  let alice: string;
  let bob: string;
  let carol: string;
  let n = 0;
  const answer = (s: Parameters<PresenceHarness['for']>[0], id: string) => h.for(s).find((e) => e.name === 'iq' && e.attrs.id === id);
  const ask = async (s: Parameters<PresenceHarness['for']>[0], el: ReturnType<typeof iq>) => {
    await h.send(s, el);
    await h.delivered();
    return answer(s, el.attrs.id!);
  };

  before(async () => {
    h = await PresenceHarness.start({
      features: { pubsub: { maxItemsPerNode: 5, maxItemBytes: 200, maxNodesPerAccount: 3, maxSubscriptionsPerNode: 1 } },
    });
  });
  after(() => h.close());
  beforeEach(async () => {
    n++;
    alice = await h.createUser(`alice${n}`);
    bob = await h.createUser(`bob${n}`);
    carol = await h.createUser(`carol${n}`); // no subscription with anyone
    await h.storage.rosters.modify(alice, bob, () => both(bob));
    await h.storage.rosters.modify(bob, alice, () => both(alice));
    h.clear();
  });

  test('§3 publish auto-creates the node; +notify contacts and the owner get the event, others not', async () => {
    const pub = await h.bind(`${alice}/pc`);
    const own = await h.bind(`${alice}/phone`);
    const bobs = await h.bind(`${bob}/pc`);
    const bobNoNotify = await h.bind(`${bob}/bot`);
    const carols = await h.bind(`${carol}/pc`);
    for (const s of [pub, own, bobs, carols]) await presenceWithCaps(h, s, [TUNE, `${TUNE}+notify`]);
    await presenceWithCaps(h, bobNoNotify, [TUNE]);
    const res = await ask(pub, iq('set', 'p1', publish(TUNE, 'song1', tune('Heart of the Sunrise'))));
    assert.equal(outcome(res), 'result');
    assert.equal(res?.getChild('pubsub', NS.pubsub)?.getChild('publish')?.getChild('item')?.attrs.id, 'song1');
    await waitFor(() => events(h.for(bobs), TUNE).length === 1 && events(h.for(own), TUNE).length === 1, { what: 'notifications', timeoutMs: 20_000 });
    const ev = events(h.for(bobs), TUNE)[0]!;
    assert.equal(ev.attrs.from, alice);
    assert.equal(ev.attrs.to, bobs.jid);
    assert.equal(
      ev.getChild('event', NS.pubsubEvent)?.getChild('items')?.getChild('item')?.getChild('tune', TUNE)?.getChildText('title'),
      'Heart of the Sunrise',
    );
    assert.equal(events(h.for(bobNoNotify), TUNE).length, 0, 'no +notify, no event');
    assert.equal(events(h.for(carols), TUNE).length, 0, 'no presence subscription, no event (access model presence)');
    // §4.3.2: retrieve, newest first
    const items = await ask(bobs, iq('get', 'g1', pubsub(xml('items', { node: TUNE })), alice));
    assert.deepEqual(
      items
        ?.getChild('pubsub', NS.pubsub)
        ?.getChild('items')
        ?.getChildren('item')
        .map((i) => i.attrs.id),
      ['song1'],
    );
  });

  test('§4.3.1 last item on becoming available, and again when caps gain +notify (XEP-0115)', async () => {
    const pub = await h.login(`${alice}/pc`);
    await ask(pub, iq('set', 'p1', publish(TUNE, 'a')));
    await ask(pub, iq('set', 'p2', publish(TUNE, 'b')));
    const bobs = await h.bind(`${bob}/pc`);
    await presenceWithCaps(h, bobs, [TUNE]);
    await h.delivered();
    assert.equal(events(h.for(bobs), TUNE).length, 0);
    await presenceWithCaps(h, bobs, [TUNE, `${TUNE}+notify`]);
    await waitFor(() => events(h.for(bobs), TUNE).length === 1, { what: 'last item', timeoutMs: 20_000 });
    assert.equal(events(h.for(bobs), TUNE)[0]!.getChild('event', NS.pubsubEvent)?.getChild('items')?.getChild('item')?.attrs.id, 'b');
    // the same caps again (a status change): nothing sent twice
    await h.send(
      bobs,
      xml('presence', {}, xml('show', {}, 'away'), xml('c', { xmlns: NS.caps, hash: 'sha-1', node: 'https://glider.test', ver: await verOf(bobs) })),
    );
    await h.delivered();
    assert.equal(events(h.for(bobs), TUNE).length, 1);
  });

  const verOf = async (s: Parameters<PresenceHarness['for']>[0]) => {
    const last = (await h.registry.get(s.jid))?.lastPresence;
    return /ver="([^"]+)"/.exec(Buffer.from(last ?? new Uint8Array()).toString())?.[1] ?? '';
  };

  test('the caps query goes out once the presence that announced the caps is recorded (a publish in between reads them)', async () => {
    const s = await h.bind(`${bob}/pc`);
    const ver = 'cmVjb3JkZWQgYmVmb3JlIHRoZSBxdWVyeQ==';
    let seenAtQuery: string | undefined;
    // Read the registry the moment the query reaches the session, as a publish would at that time.
    const sub = h.bus.subscribe(subjects.edgeDeliver(h.edgeId), (msg) => {
      const st = decodeFrame(msg.data).stanza;
      if (!st || !Buffer.from(st.xml).toString('utf8').includes(NS.discoInfo)) return;
      void h.registry.get(s.jid).then((info) => (seenAtQuery = Buffer.from(info?.lastPresence ?? new Uint8Array()).toString('utf8')));
    });
    try {
      await h.send(s, xml('presence', {}, xml('c', { xmlns: NS.caps, hash: 'sha-1', node: 'n', ver })));
      await waitFor(() => seenAtQuery !== undefined, { what: 'the caps query', timeoutMs: 20_000 });
      assert.ok(seenAtQuery!.includes(ver), `the registry had the old presence when the query went out: ${seenAtQuery}`);
    } finally {
      await sub.unsubscribe();
    }
  });

  test('a disco#info answer that does not hash to the ver is not cached (XEP-0115 §5.4)', async () => {
    const s = await h.bind(`${bob}/pc`);
    await h.send(s, xml('presence', {}, xml('c', { xmlns: NS.caps, hash: 'sha-1', node: 'n', ver: 'bm90IGEgcmVhbCBoYXNoIGF0IGFsbA==' })));
    await waitFor(() => h.for(s).some((e) => e.getChild('query', NS.discoInfo)), { what: 'query', timeoutMs: 20_000 });
    const q = h.for(s).find((e) => e.getChild('query', NS.discoInfo))!;
    assert.equal(q.attrs.from, 'pubsub.example.com');
    await h.send(
      s,
      xml('iq', { type: 'result', id: q.attrs.id!, to: q.attrs.from }, xml('query', { xmlns: NS.discoInfo }, xml('feature', { var: `${TUNE}+notify` }))),
    );
    await h.delivered();
    assert.equal(await h.presence.runtime.pep.caps.features('sha-1', 'bm90IGEgcmVhbCBoYXNoIGF0IGFsbA=='), undefined);
  });

  test("publishing to another account is forbidden; retract, purge and delete are the owner's", async () => {
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/pc`);
    assert.equal(outcome(await ask(b, iq('set', 'x1', publish(TUNE, 'i'), alice))), 'forbidden');
    await ask(a, iq('set', 'p', publish(TUNE, 'i')));
    assert.equal(outcome(await ask(b, iq('set', 'x2', pubsub(xml('retract', { node: TUNE }, xml('item', { id: 'i' }))), alice))), 'forbidden');
    assert.equal(outcome(await ask(b, iq('set', 'x3', xml('pubsub', { xmlns: NS.pubsubOwner }, xml('delete', { node: TUNE })), alice))), 'forbidden');
    assert.equal(outcome(await ask(a, iq('set', 'r', pubsub(xml('retract', { node: TUNE, notify: 'true' }, xml('item', { id: 'i' })))))), 'result');
    assert.equal(outcome(await ask(a, iq('set', 'r2', pubsub(xml('retract', { node: TUNE }, xml('item', { id: 'i' })))))), 'item-not-found');
    assert.equal(outcome(await ask(a, iq('set', 'pg', xml('pubsub', { xmlns: NS.pubsubOwner }, xml('purge', { node: TUNE }))))), 'result');
    assert.equal(outcome(await ask(a, iq('set', 'd', xml('pubsub', { xmlns: NS.pubsubOwner }, xml('delete', { node: TUNE }))))), 'result');
    assert.equal(outcome(await ask(b, iq('get', 'g', pubsub(xml('items', { node: TUNE })), alice))), 'item-not-found');
  });

  test('access models: presence needs a subscription, whitelist refuses strangers, open lets anyone read', async () => {
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/pc`);
    const c = await h.login(`${carol}/pc`);
    await ask(a, iq('set', 'p1', publish('n-presence', '1')));
    assert.equal(outcome(await ask(c, iq('get', 'g1', pubsub(xml('items', { node: 'n-presence' })), alice))), 'not-authorized/presence-subscription-required');
    assert.equal(outcome(await ask(b, iq('get', 'g2', pubsub(xml('items', { node: 'n-presence' })), alice))), 'result');
    const wl = publish('n-white', '1');
    wl.append(xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#access_model': 'whitelist' })));
    assert.equal(outcome(await ask(a, iq('set', 'p2', wl))), 'result');
    assert.equal(outcome(await ask(b, iq('get', 'g3', pubsub(xml('items', { node: 'n-white' })), alice))), 'not-allowed/closed-node');
    assert.equal(outcome(await ask(a, iq('get', 'g4', pubsub(xml('items', { node: 'n-white' }))))), 'result');
    const open = publish('n-open', '1');
    open.append(xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#access_model': 'open' })));
    await ask(a, iq('set', 'p3', open));
    assert.equal(outcome(await ask(c, iq('get', 'g5', pubsub(xml('items', { node: 'n-open' })), alice))), 'result');
  });

  test('roster access by group, whitelist members, outcasts; own affiliations and subscriptions (advertised features)', async () => {
    await h.storage.rosters.modify(alice, bob, () => ({ ...both(bob), groups: ['friends'] }));
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/pc`);
    const c = await h.login(`${carol}/pc`);
    const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
    const create = (node: string, values: Record<string, string>) => pubsub(xml('create', { node }), xml('configure', {}, form(NODE_CONFIG, values)));
    const read = (s: typeof a, id: string, node: string) => ask(s, iq('get', id, pubsub(xml('items', { node })), alice));
    const setAff = (id: string, node: string, jid: string, affiliation: string) =>
      ask(a, iq('set', id, xml('pubsub', { xmlns: NS.pubsubOwner }, xml('affiliations', { node }, xml('affiliation', { jid, affiliation })))));
    assert.equal(
      outcome(await ask(a, iq('set', 'c1', create('n-roster', { 'pubsub#access_model': 'roster', 'pubsub#roster_groups_allowed': 'friends' })))),
      'result',
    );
    await ask(a, iq('set', 'p1', publish('n-roster', '1')));
    assert.equal(outcome(await read(b, 'r1', 'n-roster')), 'result');
    assert.equal(outcome(await read(c, 'r2', 'n-roster')), 'not-authorized/not-in-roster-group');
    await ask(a, iq('set', 'c2', create('n-white', { 'pubsub#access_model': 'whitelist' })));
    await ask(a, iq('set', 'p2', publish('n-white', '1')));
    assert.equal(outcome(await read(c, 'r3', 'n-white')), 'not-allowed/closed-node');
    assert.equal(outcome(await setAff('a1', 'n-white', carol, 'member')), 'result');
    assert.equal(outcome(await read(c, 'r4', 'n-white')), 'result');
    await ask(a, iq('set', 'c3', create('n-open', { 'pubsub#access_model': 'open' })));
    await ask(a, iq('set', 'p3', publish('n-open', '1')));
    assert.equal(outcome(await setAff('a2', 'n-open', bob, 'outcast')), 'result');
    assert.equal(outcome(await read(b, 'r5', 'n-open')), 'forbidden');
    assert.equal(outcome(await ask(c, iq('set', 's1', pubsub(xml('subscribe', { node: 'n-open', jid: c.jid })), alice))), 'result');
    const subs = await ask(c, iq('get', 's2', pubsub(xml('subscriptions')), alice));
    assert.deepEqual(
      subs
        ?.getChild('pubsub', NS.pubsub)
        ?.getChild('subscriptions')
        ?.getChildren('subscription')
        .map((x) => `${x.attrs.node} ${x.attrs.jid} ${x.attrs.subscription}`),
      [`n-open ${c.jid} subscribed`],
    );
    const affs = await ask(a, iq('get', 'f1', pubsub(xml('affiliations'))));
    assert.deepEqual(
      affs
        ?.getChild('pubsub', NS.pubsub)
        ?.getChild('affiliations')
        ?.getChildren('affiliation')
        .map((x) => `${x.attrs.node}=${x.attrs.affiliation}`),
      ['n-open=owner', 'n-roster=owner', 'n-white=owner'],
    );
    const carolAffs = await ask(c, iq('get', 'f2', pubsub(xml('affiliations')), alice));
    assert.deepEqual(
      carolAffs
        ?.getChild('pubsub', NS.pubsub)
        ?.getChild('affiliations')
        ?.getChildren('affiliation')
        .map((x) => `${x.attrs.node}=${x.attrs.affiliation}`),
      ['n-white=member'],
    );
  });

  test('XEP-0223: publish-options that the node does not meet → conflict/precondition-not-met, nothing stored', async () => {
    const a = await h.login(`${alice}/pc`);
    await ask(a, iq('set', 'p1', publish(TUNE, '1')));
    const p = publish(TUNE, '2');
    p.append(xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#access_model': 'open' })));
    assert.equal(outcome(await ask(a, iq('set', 'p2', p))), 'conflict/precondition-not-met');
    const unknown = publish(TUNE, '3');
    unknown.append(xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#no_such_option': '1' })));
    assert.equal(outcome(await ask(a, iq('set', 'p3', unknown))), 'conflict/precondition-not-met');
    const items = (await h.storage.pubsub.items(alice, TUNE)).map((i) => i.id);
    assert.deepEqual(items, ['1']);
  });

  test('limits: max_items past maxItemsPerNode, item size, nodes per account, subscriptions per node', async () => {
    const a = await h.login(`${alice}/pc`);
    const b = await h.login(`${bob}/pc`);
    const c = await h.login(`${carol}/pc`);
    const tooMany = publish('n1', '1');
    tooMany.append(xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#max_items': '6' })));
    assert.equal(outcome(await ask(a, iq('set', 'l1', tooMany))), 'conflict/precondition-not-met', 'a node that cannot be made as asked');
    const three = publish('n1', '1');
    three.append(xml('publish-options', {}, form('http://jabber.org/protocol/pubsub#publish-options', { 'pubsub#max_items': '3' })));
    await ask(a, iq('set', 'l2', three));
    for (const id of ['2', '3', '4']) await ask(a, iq('set', `l-${id}`, publish('n1', id)));
    assert.deepEqual(
      (await h.storage.pubsub.items(alice, 'n1')).map((i) => i.id),
      ['4', '3', '2'],
      'trimmed to max_items',
    );
    assert.equal(outcome(await ask(a, iq('set', 'l3', publish('n1', 'big', tune('x'.repeat(300)))))), 'not-acceptable/payload-too-big');
    await ask(a, iq('set', 'l4', publish('n2', '1')));
    await ask(a, iq('set', 'l5', publish('n3', '1')));
    assert.equal(outcome(await ask(a, iq('set', 'l6', publish('n4', '1')))), 'resource-constraint/max-nodes-exceeded');
    const openNode = publish('n3', '2');
    await ask(a, iq('set', 'l7', openNode));
    await ask(
      a,
      iq(
        'set',
        'cfg',
        xml(
          'pubsub',
          { xmlns: NS.pubsubOwner },
          xml('configure', { node: 'n3' }, form('http://jabber.org/protocol/pubsub#node_config', { 'pubsub#access_model': 'open' })),
        ),
      ),
    );
    assert.equal(outcome(await ask(b, iq('set', 's1', pubsub(xml('subscribe', { node: 'n3', jid: b.jid })), alice))), 'result');
    assert.equal(outcome(await ask(c, iq('set', 's2', pubsub(xml('subscribe', { node: 'n3', jid: c.jid })), alice))), 'policy-violation');
    assert.equal(outcome(await ask(c, iq('set', 's3', pubsub(xml('subscribe', { node: 'n3', jid: b.jid })), alice))), 'bad-request/invalid-jid');
  });

  test('malformed requests: two payloads in an item, an unknown node option, no node', async () => {
    const a = await h.login(`${alice}/pc`);
    const two = pubsub(xml('publish', { node: TUNE }, xml('item', { id: '1' }, tune('a'), tune('b'))));
    assert.equal(outcome(await ask(a, iq('set', 'm1', two))), 'bad-request/invalid-payload');
    await ask(a, iq('set', 'm2', publish(TUNE, '1')));
    const cfg = xml(
      'pubsub',
      { xmlns: NS.pubsubOwner },
      xml('configure', { node: TUNE }, form('http://jabber.org/protocol/pubsub#node_config', { 'pubsub#colour': 'red' })),
    );
    assert.equal(outcome(await ask(a, iq('set', 'm3', cfg))), 'not-acceptable/invalid-options');
    assert.equal(outcome(await ask(a, iq('set', 'm4', pubsub(xml('publish', {}, xml('item', {}, tune('a'))))))), 'bad-request/nodeid-required');
    assert.equal(outcome(await ask(a, iq('get', 'm5', pubsub(xml('items', { node: TUNE, max_items: 'many' }))))), 'bad-request');
  });

  test('accounts show identity pubsub/pep and the PEP features in the addressing table (XEP-0163 §6.1)', () => {
    const d = h.presence.runtime.addressing.accountDisco();
    assert.deepEqual(d.identities, [{ category: 'pubsub', type: 'pep' }]);
    assert.ok(d.features.includes('http://jabber.org/protocol/pubsub#publish-options'));
    assert.ok(d.features.includes('http://jabber.org/protocol/pubsub#auto-create'));
  });

  test('server-side API: publish for a user notifies, items reads back, pep:published hears it', async () => {
    const bobs = await h.bind(`${bob}/pc`);
    await presenceWithCaps(h, bobs, [`urn:xmpp:avatar:metadata+notify`]);
    const heard: string[] = [];
    const undo = h.presence.runtime.hooks.on('pep:published', (e) => void heard.push(`${e.owner} ${e.node} ${e.item.id}`));
    const pep = h.presence.runtime.pep;
    const meta = xml('metadata', { xmlns: 'urn:xmpp:avatar:metadata' });
    const done = await pep.publish(alice, 'urn:xmpp:avatar:metadata', { id: 'abc', payload: meta }, { publishOptions: { 'pubsub#access_model': 'open' } });
    assert.deepEqual(done, { id: 'abc' });
    assert.equal((await pep.node(alice, 'urn:xmpp:avatar:metadata'))?.accessModel, 'open');
    const items = await pep.items(alice, 'urn:xmpp:avatar:metadata');
    assert.ok(Array.isArray(items) && items[0]?.payload?.is('metadata', 'urn:xmpp:avatar:metadata'));
    assert.deepEqual(heard, [`${alice} urn:xmpp:avatar:metadata abc`], 'heard before publish returns');
    await waitFor(() => events(h.for(bobs), 'urn:xmpp:avatar:metadata').length === 1, { what: 'event', timeoutMs: 20_000 });
    undo();
    const retracted: string[] = [];
    const undoRetract = h.presence.runtime.hooks.on('pep:retracted', (e) => void retracted.push(`${e.owner} ${e.node} ${e.id}`));
    assert.equal(await pep.retract(alice, 'urn:xmpp:avatar:metadata', 'abc', { notify: false }), true);
    assert.deepEqual(retracted, [`${alice} urn:xmpp:avatar:metadata abc`], 'heard though nobody was notified');
    await h.delivered();
    const retractEvents = h.for(bobs).filter((e) => e.getChild('event', NS.pubsubEvent)?.getChild('items')?.getChild('retract'));
    assert.equal(retractEvents.length, 0, 'notify: false');
    undoRetract();
  });
});
