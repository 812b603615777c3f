import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MucHarness, SERVICE } from '../../testing/muc-harness.js';

const ROOM = `again@${SERVICE}`;
const say = (body: string, origin?: string) =>
  `<message to="${ROOM}" type="groupchat" id="x1"><body>${body}</body>${origin ? `<origin-id xmlns="urn:xmpp:sid:0" id="${origin}"/>` : ''}</message>`;
const stanzaId = (el: { getChild(n: string, ns: string): { attrs: Record<string, string> } | undefined }) => el.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id;

describe('a resent groupchat message (same sender, same origin-id) is not broadcast twice', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('the sender gets its reflection again with the first stanza-id, the others nothing; without origin-id both go out', async () => {
    const ann = await h.login('ann@example.com/a');
    const bob = await h.login('bob@example.com/b');
    await h.send(ann, `<presence to="${ROOM}/ann"/>`);
    await h.send(ann, `<iq type="set" id="c" to="${ROOM}"><query xmlns="http://jabber.org/protocol/muc#owner"><x xmlns="jabber:x:data" type="submit"/></query></iq>`);
    await h.send(bob, `<presence to="${ROOM}/bob"/>`);
    h.take(ann);
    h.take(bob);

    await h.send(ann, say('hello', 'o-1'));
    const first = h.take(ann);
    assert.equal(h.take(bob).length, 1, 'bob got it');
    // the client did not hear back (its replica died before answering) and sends it again
    await h.send(ann, say('hello', 'o-1'));
    const again = h.take(ann);
    assert.equal(again.length, 1, 'ann gets her reflection');
    assert.equal(again[0]!.getChildText('body'), 'hello');
    assert.equal(stanzaId(again[0]!), stanzaId(first[0]!), 'with the stanza-id it got the first time');
    assert.deepEqual(h.take(bob).map(String), [], 'bob does not get it twice');

    // bob's message with the same origin-id is his own, not a resend of ann's
    await h.send(bob, say('mine', 'o-1'));
    assert.equal(h.take(ann).length, 1);
    // no origin-id: nothing to know a resend by, both are broadcast
    await h.send(ann, say('plain'));
    await h.send(ann, say('plain'));
    assert.equal(h.take(bob).filter((e) => e.getChildText('body') === 'plain').length, 2);
  });
});
