import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MucHarness, SERVICE } from '../../testing/muc-harness.js';

const ROOM = `again@${SERVICE}`;
const say = (body: string, origin?: string) =>
  `<message to="${ROOM}" type="groupchat" id="x1"><body>${body}</body>${origin ? `<origin-id xmlns="urn:xmpp:sid:0" id="${origin}"/>` : ''}</message>`;
const stanzaId = (el: { getChild(n: string, ns: string): { attrs: Record<string, string> } | undefined }) =>
  el.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id;

describe('a resent groupchat message (same sender, same origin-id) goes out again under its first delivery key', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('everyone gets it again with the first stanza-id and delivery key (edges write a key once); without origin-id it is a new message', async () => {
    const ann = await h.login('ann@example.com/a');
    const bob = await h.login('bob@example.com/b');
    await h.send(ann, `<presence to="${ROOM}/ann"/>`);
    await h.send(
      ann,
      `<iq type="set" id="c" to="${ROOM}"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query></iq>`,
    );
    await h.send(bob, `<presence to="${ROOM}/bob"/>`);
    h.take(ann);
    h.take(bob);

    await h.send(ann, say('hello', 'o-1'));
    const [first] = h.takeDeliveries(ann);
    const [bobs] = h.takeDeliveries(bob);
    assert.ok(first?.dedupeKey, 'a groupchat delivery carries a key');
    assert.equal(bobs?.dedupeKey, first.dedupeKey, 'the same for every occupant');
    // the client did not hear back (its replica died before answering) and sends it again
    await h.send(ann, say('hello', 'o-1'));
    for (const [who, s] of [
      ['ann', ann],
      ['bob', bob],
    ] as const) {
      const again = h.takeDeliveries(s);
      assert.equal(again.length, 1, `${who}: sent again (the edge writes it only where it was not written)`);
      assert.equal(again[0]!.el.getChildText('body'), 'hello');
      assert.equal(again[0]!.dedupeKey, first.dedupeKey, `${who}: under the first delivery key`);
      assert.equal(stanzaId(again[0]!.el), stanzaId(first.el), `${who}: with the stanza-id it got the first time`);
    }
    // bob's message with the same origin-id is his own, not a resend of ann's
    await h.send(bob, say('mine', 'o-1'));
    assert.notEqual(h.takeDeliveries(ann)[0]!.dedupeKey, first.dedupeKey);
    // no origin-id: nothing to know a resend by, two messages
    await h.send(ann, say('plain'));
    await h.send(ann, say('plain'));
    const plain = h.takeDeliveries(bob).filter((d) => d.el.getChildText('body') === 'plain');
    assert.equal(plain.length, 2);
    assert.notEqual(plain[0]!.dedupeKey, plain[1]!.dedupeKey);
  });
});
