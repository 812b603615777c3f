import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { BOOKMARKS_NODE, toItemPayload } from '#libs/bookmarks';
import { PepService, type PubSubItem } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';

let h: RouterHarness;
let pep: PepService;
before(async () => {
  h = await RouterHarness.start();
  pep = new PepService({ ...h, delivery: h.routers[0]!.runtime.delivery, logger: pino({ level: 'silent' }) });
});
after(() => h.close());

const items = async (owner: string): Promise<PubSubItem[]> => {
  const got = await pep.items(owner, BOOKMARKS_NODE);
  return got instanceof StanzaError ? [] : got;
};
const storage = (...children: Element[]) => xml('storage', { xmlns: 'storage:bookmarks' }, ...children);
const query = (...children: Element[]) => xml('query', { xmlns: 'jabber:iq:private' }, ...children);
const conference = (jid: string, name: string, autojoin = false) => xml('conference', { jid, name, autojoin: String(autojoin) }, xml('nick', {}, 'me'));

test('XEP-0402 #compat: a legacy set becomes one PEP item per room (with XEP-0402 node options); a legacy get reads PEP; URLs kept', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const a = await edge.bind(`${alice}/pc`);
  const set = storage(
    conference('one@conf.example.com', 'One', true),
    conference('two@conf.example.com', 'Two'),
    xml('url', { name: 'Site', url: 'https://example.com/' }),
  );
  assert.equal((await edge.ask(a, xml('iq', { type: 'set' }, query(set)))).attrs.type, 'result');
  const got = await items(alice);
  assert.deepEqual(got.map((i) => i.id).sort(), ['one@conf.example.com', 'two@conf.example.com']);
  const one = got.find((i) => i.id === 'one@conf.example.com')!.payload!;
  assert.equal(one.attrs.xmlns, 'urn:xmpp:bookmarks:1');
  assert.equal(one.attrs.autojoin, 'true');
  assert.equal(one.getChildText('nick'), 'me');
  const config = await pep.node(alice, BOOKMARKS_NODE);
  assert.equal(config?.accessModel, 'whitelist', 'XEP-0402 §3: the node is private');
  assert.equal(config?.sendLastPublishedItem, 'never');
  assert.ok((config?.maxItems ?? 0) > 1, "max_items 'max'");

  // A XEP-0402 client adds a room and removes one: the legacy view follows; the URL bookmark stays.
  await pep.publish(alice, BOOKMARKS_NODE, {
    id: 'three@conf.example.com',
    payload: toItemPayload({ jid: 'three@conf.example.com', name: 'Three', autojoin: false, extensions: [] }),
  });
  await pep.retract(alice, BOOKMARKS_NODE, 'two@conf.example.com');
  const read = await edge.ask(a, xml('iq', { type: 'get' }, query(storage())));
  const back = read.getChild('query', 'jabber:iq:private')!.getChild('storage', 'storage:bookmarks')!;
  assert.deepEqual(
    back
      .getChildren('conference')
      .map((c) => c.attrs.jid)
      .sort(),
    ['one@conf.example.com', 'three@conf.example.com'],
  );
  assert.equal(back.getChildren('url').length, 1);

  // A legacy client saves its (now current) list minus 'one': exactly that item is retracted.
  const before = new Map((await items(alice)).map((i) => [i.id, i.publishedAt.getTime()]));
  const withoutOne = storage(
    ...back
      .getChildren('conference')
      .filter((c) => c.attrs.jid !== 'one@conf.example.com')
      .map((c) => c.clone()),
  );
  await edge.ask(a, xml('iq', { type: 'set' }, query(withoutOne)));
  const after = await items(alice);
  assert.deepEqual(
    after.map((i) => i.id),
    ['three@conf.example.com'],
  );
  assert.equal(after[0]!.publishedAt.getTime(), before.get('three@conf.example.com'), 'an unchanged bookmark is not published again');
});

test('bookmarks stored as private XML before any PEP node are moved to PEP at the first legacy read', async () => {
  const edge = h.edge();
  const bob = await h.createUser('bob');
  const b = await edge.bind(`${bob}/pc`);
  await h.storage.privateXml.set(bob, 'storage', 'storage:bookmarks', storage(conference('old@conf.example.com', 'Old')).toString());
  const read = await edge.ask(b, xml('iq', { type: 'get' }, query(storage())));
  assert.equal(read.getChild('query')!.getChild('storage')!.getChildren('conference')[0]?.attrs.jid, 'old@conf.example.com');
  assert.deepEqual(
    (await items(bob)).map((i) => i.id),
    ['old@conf.example.com'],
  );
});

test('other private XML is untouched by the conversion; bad input is refused as before', async () => {
  const edge = h.edge();
  const carol = await h.createUser('carol');
  const c = await edge.bind(`${carol}/pc`);
  await edge.ask(c, xml('iq', { type: 'set' }, query(xml('prefs', { xmlns: 'urn:example:prefs' }, 'x'))));
  const read = await edge.ask(c, xml('iq', { type: 'get' }, query(xml('prefs', { xmlns: 'urn:example:prefs' }))));
  assert.equal(read.getChild('query')!.getChild('prefs')!.text(), 'x');
  assert.equal(await h.storage.pubsub.node(carol, BOOKMARKS_NODE), undefined);
  assert.equal(errorCondition(await edge.ask(c, xml('iq', { type: 'set' }, query()))), 'bad-request');
});

test('with #compat-pep the legacy PEP item follows private-XML writes; XEP-0411 is advertised; an open XEP-0402 node is refused', async () => {
  const edge = h.edge();
  const dave = await h.createUser('dave');
  const d = await edge.bind(`${dave}/pc`);
  const features = h.routers[0]!.runtime.accountDisco.features;
  assert.ok(features.has('urn:xmpp:bookmarks:1#compat') && features.has('urn:xmpp:bookmarks-conversion:0'));
  await edge.ask(d, xml('iq', { type: 'set' }, query(storage(conference('r@conf.example.com', 'R')))));
  const legacy = await pep.items(dave, 'storage:bookmarks');
  assert.ok(!(legacy instanceof StanzaError));
  assert.equal(legacy[0]?.payload?.getChild('conference')?.attrs.jid, 'r@conf.example.com');

  const erin = await h.createUser('erin');
  const e = await edge.bind(`${erin}/pc`);
  await pep.publish(
    erin,
    BOOKMARKS_NODE,
    { id: 'o@conf.example.com', payload: toItemPayload({ jid: 'o@conf.example.com', autojoin: false, extensions: [] }) },
    { publishOptions: { 'pubsub#access_model': 'open' } },
  );
  const refused = await edge.ask(e, xml('iq', { type: 'set' }, query(storage(conference('p@conf.example.com', 'P')))));
  assert.equal(errorCondition(refused), 'conflict', 'never silently: the legacy client learns its list was not taken');
  assert.deepEqual(
    (await items(erin)).map((i) => i.id),
    ['o@conf.example.com'],
  );
});
