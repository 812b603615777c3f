import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BOOKMARKS_NODE, fromLegacy, toItemPayload } from '#libs/bookmarks';
import { StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { PresenceHarness } from '../../testing/presence-harness.js';

const LEGACY = 'storage:bookmarks';
const storage = (...children: Element[]) => xml('storage', { xmlns: LEGACY }, ...children);
const room = (jid: string, name: string) => xml('conference', { jid, name, autojoin: 'false' });

describe('XEP-0402 §5.3 #compat-pep: the XEP-0048 PEP item and the XEP-0402 items are one list', () => {
  let h: PresenceHarness;
  let n = 0;
  const user = () => h.createUser(`u${++n}`);
  const pep = () => h.presence.runtime.pep;
  const ids = async (owner: string) => {
    const got = await pep().items(owner, BOOKMARKS_NODE);
    return got instanceof StanzaError ? [] : got.map((i) => i.id).sort();
  };
  const legacy = async (owner: string) => {
    const got = await pep().items(owner, LEGACY);
    return got instanceof StanzaError ? undefined : got[0];
  };

  before(async () => {
    h = await PresenceHarness.start();
  });
  after(() => h.close());

  test('a legacy PEP publish becomes XEP-0402 items; XEP-0402 publishes and retractions rewrite the legacy item', async () => {
    const alice = await user();
    assert.ok(h.presence.runtime.accountDisco.features.has('urn:xmpp:bookmarks:1#compat-pep'));
    const list = storage(room('a@conf.example.com', 'A'), room('b@conf.example.com', 'B'), xml('url', { name: 'Site', url: 'https://example.com/' }));
    await pep().publish(alice, LEGACY, { id: 'current', payload: list }, { publishOptions: { 'pubsub#access_model': 'whitelist' } });
    assert.deepEqual(await ids(alice), ['a@conf.example.com', 'b@conf.example.com']);
    const first = await legacy(alice);
    assert.equal(first?.payload?.getChildren('conference').length, 2, 'the legacy item is the client’s, not rewritten');

    await pep().publish(alice, BOOKMARKS_NODE, {
      id: 'c@conf.example.com',
      payload: toItemPayload({ jid: 'c@conf.example.com', name: 'C', autojoin: true, extensions: [] }),
    });
    await pep().retract(alice, BOOKMARKS_NODE, 'a@conf.example.com');
    const now = (await legacy(alice))!.payload!;
    assert.deepEqual(
      fromLegacy(now).map((b) => [b.jid, b.autojoin]),
      [
        ['b@conf.example.com', false],
        ['c@conf.example.com', true],
      ],
    );
    assert.equal(now.getChildren('url').length, 1, 'URL bookmarks stay');
    assert.equal((await pep().node(alice, LEGACY))?.accessModel, 'whitelist');
  });

  test('bookmarks are never copied into a node others may read (XEP-0411 §5)', async () => {
    const bob = await user();
    const x = { jid: 'x@conf.example.com', autojoin: false, extensions: [] };
    await pep().publish(bob, BOOKMARKS_NODE, { id: x.jid, payload: toItemPayload(x) }, { publishOptions: { 'pubsub#access_model': 'open' } });
    await pep().publish(bob, LEGACY, { id: 'current', payload: storage(room('y@conf.example.com', 'Y')) });
    assert.deepEqual(await ids(bob), ['x@conf.example.com'], 'the open node got nothing from the private list');
  });
});
