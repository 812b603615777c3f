import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import { xml } from '#libs/xml';
import { RouterHarness } from '../../testing/router-harness.js';

let h: RouterHarness;
let pep: PepService;
before(async () => {
  h = await RouterHarness.start();
  pep = new PepService({ ...h, delivery: h.routers[0]!.runtime.delivery, logger: pino({ level: 'silent' }) });
});
after(() => h.close());

const MDS = 'urn:xmpp:mds:displayed:0';
const displayed = (by: string, id: string) => xml('displayed', { xmlns: MDS }, xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by, id }));

test('XEP-0490 §4.5 server assist: the displayed element is stripped from the message and published under the verbatim `to`', async () => {
  const edge = h.edge();
  const alice = await h.createUser('alice');
  const bob = await h.createUser('bob');
  const a = await edge.bind(`${alice}/pc`);
  const b = await edge.bind(`${bob}/pc`, { available: true });
  assert.ok(h.routers[0]!.runtime.accountDisco.features.has('urn:xmpp:mds:server-assist:0'));
  const marker = xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'the-msg-1' });
  await edge.send(a, xml('message', { to: bob, type: 'chat', id: 'm1' }, marker, displayed(alice, 'sid-1')));
  const [got] = await edge.waitFor(b, 1);
  assert.equal(got!.getChild('displayed', MDS), undefined, '§7: the stanza-id never reaches the recipient');
  assert.equal(got!.getChild('displayed', 'urn:xmpp:chat-markers:0')?.attrs.id, 'the-msg-1', 'the rest goes on as sent');
  const items = await pep.items(alice, MDS);
  assert.ok(!(items instanceof StanzaError));
  assert.deepEqual(
    items.map((i) => [i.id, i.payload?.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id]),
    [[bob, 'sid-1']],
  );
  const node = await pep.node(alice, MDS);
  assert.equal(node?.accessModel, 'whitelist', '§6.2: a node the server creates is private');
  assert.ok((node?.maxItems ?? 0) > 1);

  // A later one for the same chat replaces the item; a message without the element is untouched.
  await edge.send(a, xml('message', { to: bob, type: 'chat', id: 'm2' }, xml('body', {}, 'hi'), displayed(alice, 'sid-2')));
  await edge.send(a, xml('message', { to: bob, type: 'chat', id: 'm3' }, xml('body', {}, 'plain')));
  await edge.waitFor(b, 3);
  const again = await pep.items(alice, MDS);
  assert.ok(!(again instanceof StanzaError));
  assert.deepEqual(
    again.map((i) => [i.id, i.payload?.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id]),
    [[bob, 'sid-2']],
  );
});

test('features.mds.serverAssist=false: nothing stripped, nothing published, not advertised', async () => {
  const off = await RouterHarness.start({ config: { features: { mds: { serverAssist: false } } } });
  try {
    const edge = off.edge();
    const carol = await off.createUser('carol');
    const dave = await off.createUser('dave');
    const c = await edge.bind(`${carol}/pc`);
    const d = await edge.bind(`${dave}/pc`, { available: true });
    assert.equal(off.routers[0]!.runtime.accountDisco.features.has('urn:xmpp:mds:server-assist:0'), false);
    await edge.send(c, xml('message', { to: dave, type: 'chat' }, xml('body', {}, 'x'), displayed(carol, 'sid-x')));
    const [got] = await edge.waitFor(d, 1);
    assert.ok(got!.getChild('displayed', MDS));
    assert.equal(await off.storage.pubsub.node(carol, MDS), undefined);
  } finally {
    await off.close();
  }
});

test('§6.2: the element is stripped before the message is archived (XEP-0313), on both sides', async () => {
  const arch = await RouterHarness.start({ config: { archive: { enabled: true } } });
  try {
    const edge = arch.edge();
    const frank = await arch.createUser('frank');
    const gina = await arch.createUser('gina');
    const f = await edge.bind(`${frank}/pc`);
    const g = await edge.bind(`${gina}/pc`, { available: true });
    await edge.send(f, xml('message', { to: gina, type: 'chat', id: 'a1' }, xml('body', {}, 'seen it'), displayed(frank, 'sid-a')));
    await edge.waitFor(g, 1);
    for (const owner of [frank, gina]) {
      const page = await arch.storage.archive.query(owner, {}, { max: 10 });
      assert.equal(page.messages.length, 1, `${owner} archived it`);
      assert.ok(!page.messages[0]!.xml.includes(MDS), `${owner}'s archived copy has no MDS element`);
      assert.ok(page.messages[0]!.xml.includes('seen it'));
    }
  } finally {
    await arch.close();
  }
});
