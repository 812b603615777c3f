import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MucHarness, SERVICE, errorOf } from '../../testing/muc-harness.js';

const MAM = 'urn:xmpp:mam:2';

describe('XEP-0313 on rooms, and IQs relayed between occupants', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('archives groupchat under the stanza-id occupants got; occupants page it, outsiders are refused', async () => {
    const ann = await h.login('ann@example.com/a');
    const ben = await h.login('ben@example.com/b');
    await h.send(ann, `<presence to="log@${SERVICE}/ann"/>`);
    for (let i = 0; i < 3; i++) await h.send(ann, `<message to="log@${SERVICE}" type="groupchat"><body>m${i}</body></message>`);
    const ids = h
      .take(ann)
      .filter((e) => e.getChildText('body'))
      .map((e) => e.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id);
    await h.send(ben, `<iq type="set" id="q" to="log@${SERVICE}"><query xmlns="${MAM}" queryid="x"/></iq>`);
    assert.equal(errorOf(h.take(ben)[0]), 'forbidden', 'not an occupant');
    await h.send(ben, `<presence to="log@${SERVICE}/ben"/>`);
    h.take(ben);
    await h.send(
      ben,
      `<iq type="set" id="q" to="log@${SERVICE}"><query xmlns="${MAM}" queryid="x"><set xmlns="http://jabber.org/protocol/rsm"><max>2</max></set></query></iq>`,
    );
    const got = h.take(ben);
    const results = got.filter((e) => e.name === 'message');
    assert.deepEqual(
      results.map((r) => r.getChild('result', MAM)!.attrs.id),
      ids.slice(0, 2),
    );
    assert.equal(results[0]!.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!.getChildText('body'), 'm0');
    const fin = got.at(-1)!;
    assert.equal(fin.name, 'iq');
    assert.equal(fin.getChild('fin', MAM)!.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('count'), '3');
  });

  it('relays an IQ to another occupant and its answer back; a non-occupant gets bad-request', async () => {
    const [ann, ben] = await Promise.all([h.registry.get('ann@example.com/a'), h.registry.get('ben@example.com/b')]);
    h.take(ann!); // ben's arrival
    await h.send(ben!, `<iq type="get" id="v1" to="log@${SERVICE}/ann"><query xmlns="jabber:iq:version"/></iq>`);
    const asked = h.take(ann!)[0]!;
    assert.equal(asked.attrs.from, `log@${SERVICE}/ben`);
    assert.notEqual(asked.attrs.id, 'v1');
    await h.send(ann!, `<iq type="result" id="${asked.attrs.id}" to="log@${SERVICE}/ben"><query xmlns="jabber:iq:version"><name>x</name></query></iq>`);
    const answer = h.take(ben!)[0]!;
    assert.equal(answer.attrs.id, 'v1');
    assert.equal(answer.attrs.from, `log@${SERVICE}/ann`);
    const cid = await h.login('cid@example.com/c');
    await h.send(cid, `<iq type="get" id="v2" to="log@${SERVICE}/ann"><query xmlns="jabber:iq:version"/></iq>`);
    assert.equal(errorOf(h.take(cid)[0]), 'bad-request');
    await h.send(cid, `<iq type="result" id="${asked.attrs.id}" to="log@${SERVICE}/ben"/>`);
    assert.equal(h.take(ben!).length, 0, 'a forged answer from a non-occupant goes nowhere');
  });
});
