import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { isArchiveId, StorageUnavailableError } from '#libs/storage';
import { type Element, xml } from '#libs/xml';
import { RouterHarness } from '../../testing/router-harness.js';

const SID = 'urn:xmpp:sid:0';
const CARBONS = 'urn:xmpp:carbons:2';
const chat = (to: string, body: string, ...extra: Element[]) => xml('message', { to, type: 'chat', id: body }, xml('body', {}, body), ...extra);
const sids = (el: Element | undefined) => (el?.getChildren('stanza-id', SID) ?? []).map((s) => ({ by: s.attrs.by, id: s.attrs.id }));

describe('XEP-0313 archiving with XEP-0359 stanza-ids', () => {
  let h: RouterHarness;
  let n = 0;
  before(async () => {
    h = await RouterHarness.start({ config: { archive: { enabled: true, prefsReadTimeoutMs: 50, writeWaitMs: 50 } } });
  });
  after(() => h.close());

  async function pair() {
    const edge = h.edge(`edge-${++n}`);
    const alice = await h.createUser(`alice${n}`);
    const bob = await h.createUser(`bob${n}`);
    const pc = await edge.bind(`${alice}/pc`);
    const phone = await edge.bind(`${alice}/phone`, { priority: -1 });
    const laptop = await edge.bind(`${bob}/laptop`);
    edge.clear();
    return { edge, alice, bob, pc, phone, laptop };
  }
  const page = (owner: string, filter = {}) => h.storage.archive.query(owner, filter, { max: 50 });

  test('a chat is archived for the sender and the recipient; the delivered copy carries only the recipient id', async () => {
    const { edge, alice, bob, pc, laptop } = await pair();
    await edge.send(pc, chat(bob, 'hello'));
    await h.delivered();
    const [got] = edge.for(laptop);
    const stamped = sids(got);
    assert.equal(stamped.length, 1);
    assert.equal(stamped[0]!.by, bob);
    assert.ok(isArchiveId(stamped[0]!.id!));
    const inBob = (await page(bob)).messages;
    assert.deepEqual(
      inBob.map((m) => [m.id, m.with, m.direction]),
      [[stamped[0]!.id, pc.jid, 'in']],
    );
    assert.match(inBob[0]!.xml, /<body>hello<\/body>/);
    const inAlice = (await page(alice)).messages;
    assert.deepEqual(
      inAlice.map((m) => [m.with, m.direction]),
      [[bob, 'out']],
    );
    assert.notEqual(inAlice[0]!.id, stamped[0]!.id, 'each archive has its own id');
    assert.match(inAlice[0]!.xml, new RegExp(`by="${alice}" id="${inAlice[0]!.id}"`));
  });

  test('XEP-0359 §5: a stanza-id forged by the sender for the recipient is removed, others kept', async () => {
    const { edge, bob, pc, laptop } = await pair();
    await edge.send(
      pc,
      chat(bob, 'forged', xml('stanza-id', { xmlns: SID, by: bob, id: 'FAKE' }), xml('stanza-id', { xmlns: SID, by: 'room@elsewhere', id: 'x' })),
    );
    await edge.send(
      pc,
      xml(
        'message',
        { to: bob, type: 'chat' },
        xml('stanza-id', { xmlns: SID, by: bob, id: 'FAKE2' }),
        xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }),
      ),
    );
    await h.delivered();
    const [withBody, stateOnly] = edge.for(laptop);
    const ids = sids(withBody);
    assert.deepEqual(
      ids.map((s) => s.by),
      ['room@elsewhere', bob],
    );
    assert.notEqual(ids[1]!.id, 'FAKE');
    assert.deepEqual(sids(stateOnly), [], 'a chat state alone is not archived, and the forged id is gone');
  });

  test('§5.1.1: bodies and encrypted payloads are archived; chat states, headlines, no-store hints are not', async () => {
    const { edge, bob, pc } = await pair();
    await edge.send(pc, xml('message', { to: bob, type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await edge.send(pc, xml('message', { to: bob, type: 'headline' }, xml('body', {}, 'news')));
    await edge.send(pc, chat(bob, 'secret', xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    await edge.send(pc, xml('message', { to: bob, type: 'chat', id: 'omemo' }, xml('encrypted', { xmlns: 'eu.siacs.conversations.axolotl' })));
    await edge.send(pc, xml('message', { to: bob, type: 'chat', id: 'retract' }, xml('retract', { xmlns: 'urn:xmpp:message-retract:1', id: 'x' })));
    await h.delivered();
    const kept = (await page(bob)).messages.map((m) => /id="(\w+)"/.exec(m.xml)?.[1]);
    assert.deepEqual(kept, ['omemo', 'retract']);
  });

  test('offline messages are stamped and archived before they are stored; carbons carry the id', async () => {
    const { edge, alice, bob, pc, phone, laptop } = await pair();
    assert.equal((await edge.ask(phone, xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })))).attrs.type, 'result');
    edge.clear();
    await edge.send(laptop, chat(alice, 'to-alice'));
    await h.delivered();
    const [direct] = edge.for(pc);
    const [copy] = edge.for(phone);
    const id = sids(direct)[0]?.id;
    assert.ok(id);
    const inner = copy?.getChild('received', CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
    assert.deepEqual(sids(inner), [{ by: alice, id }]);
    const carol = await h.createUser(`carol${n}`);
    await edge.send(laptop, chat(carol, 'while-away'));
    await h.delivered();
    const [stored] = await h.storage.offline.list(carol);
    const archived = (await page(carol)).messages;
    assert.equal(archived.length, 1);
    assert.match(stored!.xml, new RegExp(`id="${archived[0]!.id}"`));
    assert.ok(bob);
  });

  test("§3.5: the sender's other resources get the sender's archive id inside the sent carbon, the recipient never", async () => {
    const { edge, alice, bob, pc, phone, laptop } = await pair();
    assert.equal((await edge.ask(phone, xml('iq', { type: 'set' }, xml('enable', { xmlns: CARBONS })))).attrs.type, 'result');
    edge.clear();
    await edge.send(pc, chat(bob, 'from-pc'));
    await h.delivered();
    const [copy] = edge.for(phone);
    const inner = copy?.getChild('sent', CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
    assert.equal(inner?.getChildText('body'), 'from-pc');
    const [mine] = (await page(alice)).messages;
    assert.deepEqual(sids(inner), [{ by: alice, id: mine!.id }], "the id alice's archive has for it");
    assert.deepEqual(
      sids(edge.for(laptop)[0]).map((x) => x.by),
      [bob],
      "bob sees his own archive's id only",
    );
    // not kept in the sender's archive (§6 never): the carbon carries no id of it
    await h.storage.archive.setPrefs(alice, { default: 'always', always: [], never: [bob] });
    edge.clear();
    await edge.send(pc, chat(bob, 'unarchived'));
    await h.delivered();
    const plain = edge.for(phone)[0]?.getChild('sent', CARBONS)?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
    assert.equal(plain?.getChildText('body'), 'unarchived');
    assert.deepEqual(sids(plain), []);
  });

  test('§6 preferences: never and roster keep messages out; always lists win over the default', async () => {
    const { edge, alice, bob, pc } = await pair();
    await h.storage.archive.setPrefs(bob, { default: 'roster', always: [], never: [] });
    await h.storage.archive.setPrefs(alice, { default: 'always', always: [], never: [bob] });
    await edge.send(pc, chat(bob, 'not-in-roster'));
    await h.delivered();
    assert.equal((await page(bob)).count, 0);
    assert.equal((await page(alice)).count, 0);
    await h.storage.archive.setPrefs(bob, { default: 'never', always: [alice], never: [] });
    await edge.send(pc, chat(bob, 'always-alice'));
    await h.delivered();
    assert.equal((await page(bob)).count, 1);
  });

  test('a store that hangs delays neither the delivery (prefs read bounded) nor the Ack (write wait bounded)', async () => {
    const { edge, alice, bob, pc, laptop } = await pair();
    const archive = h.storage.archive;
    const [getPrefs, append] = [archive.getPrefs.bind(archive), archive.append.bind(archive)];
    const never = new Promise<never>(() => {});
    archive.getPrefs = (owner) => (owner === bob ? never : getPrefs(owner));
    archive.append = () => never;
    try {
      // the store answers nothing at all: the delivery goes unstamped after prefsReadTimeoutMs,
      // the Ack after writeWaitMs (both 50 ms here), and the next message follows
      assert.deepEqual(await edge.send(pc, chat(bob, 'hung-1')), { taken: true });
      assert.deepEqual(await edge.send(pc, chat(bob, 'hung-2')), { taken: true });
      await h.delivered();
    } finally {
      archive.getPrefs = getPrefs;
      archive.append = append;
    }
    const got = edge.for(laptop);
    assert.deepEqual(
      got.map((m) => m.getChildText('body')),
      ['hung-1', 'hung-2'],
    );
    assert.deepEqual(sids(got[0]), [], 'not stamped: the archive could not say it keeps it');
    assert.ok(alice);
  });

  test('a store that fails loses the archive record, never the message', async () => {
    const { edge, bob, pc, laptop } = await pair();
    const archive = h.storage.archive;
    const original = archive.append.bind(archive);
    archive.append = () => Promise.reject(new StorageUnavailableError('down for the test'));
    try {
      assert.deepEqual(await edge.send(pc, chat(bob, 'still-delivered')), { taken: true });
      await h.delivered();
    } finally {
      archive.append = original;
    }
    assert.deepEqual(
      edge.for(laptop).map((m) => m.getChildText('body')),
      ['still-delivered'],
    );
    assert.equal((await page(bob)).count, 0);
  });
});
