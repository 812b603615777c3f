import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '#libs/sessions';
import type { Element } from '#libs/xml';
import { MucHarness, SERVICE, errorOf } from '../../testing/muc-harness.js';

const MUC = 'http://jabber.org/protocol/muc';
const REG = 'jabber:iq:register';
const ROOM = `club@${SERVICE}`;
const iqOf = (els: Element[]) => els.filter((e) => e.name === 'iq').at(-1);
const getForm = `<iq type="get" id="g" to="${ROOM}"><query xmlns="${REG}"/></iq>`;
const submit = (nick?: string) =>
  `<iq type="set" id="s" to="${ROOM}"><query xmlns="${REG}"><x xmlns="jabber:x:data" type="submit">` +
  `<field var="FORM_TYPE"><value>${MUC}#register</value></field>` +
  (nick === undefined ? '' : `<field var="muc#register_roomnick"><value>${nick}</value></field>`) +
  `</x></query></iq>`;
const config = (fields: Record<string, string>) =>
  `<iq type="set" id="c" to="${ROOM}"><query xmlns="${MUC}#owner"><x xmlns="jabber:x:data" type="submit">` +
  `<field var="FORM_TYPE"><value>${MUC}#roomconfig</value></field>` +
  Object.entries(fields)
    .map(([k, v]) => `<field var="${k}"><value>${v}</value></field>`)
    .join('') +
  `</x></query></iq>`;

describe('XEP-0045 §7.10 registration with a room, §7.12 reserved nick', () => {
  let h: MucHarness;
  let olga: SessionInfo;
  let ann: SessionInfo;
  let ben: SessionInfo;
  let cid: SessionInfo;
  const ask = async (s: SessionInfo, text: string) => {
    await h.send(s, text);
    return iqOf(h.take(s));
  };
  before(async () => {
    h = await MucHarness.start();
    olga = await h.login('olga@example.com/o');
    ann = await h.login('ann@example.com/a');
    ben = await h.login('ben@example.com/b');
    cid = await h.login('cid@example.com/c');
    await h.send(olga, `<presence to="${ROOM}/olga"><x xmlns="${MUC}"/></presence>`);
    await h.send(olga, config({ 'muc#roomconfig_persistentroom': '1' }));
    h.received.length = 0;
  });
  after(async () => {
    await h?.close();
  });

  it('offers the muc#register form, advertises jabber:iq:register, refuses a form without a nick', async () => {
    const info = await ask(ann, `<iq type="get" id="d" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
    assert.ok(
      info!
        .getChild('query')!
        .getChildren('feature')
        .some((f) => f.attrs.var === REG),
    );
    const form = (await ask(ann, getForm))!.getChild('query', REG)!.getChild('x', 'jabber:x:data')!;
    assert.equal(form.attrs.type, 'form');
    const nick = form.getChildren('field').find((f) => f.attrs.var === 'muc#register_roomnick')!;
    assert.ok(nick.getChild('required'), 'the nickname is required');
    assert.equal(errorOf(await ask(ann, submit())), 'not-acceptable');
    assert.equal(errorOf(await ask(ann, `<iq type="set" id="s" to="${ROOM}"><query xmlns="${REG}"/></iq>`)), 'bad-request', 'no form at all');
    assert.equal(errorOf(await ask(ann, submit(' '))), 'jid-malformed', 'RFC 8266');
    assert.equal(errorOf(await ask(ann, getForm.replace(ROOM, `nowhere@${SERVICE}`))), 'item-not-found');
  });

  it('registers the nick: member, <registered/>, x-roomuser-item; others get conflict on it', async () => {
    assert.equal((await ask(ann, submit('Annie')))!.attrs.type, 'result');
    const again = (await ask(ann, getForm))!.getChild('query', REG)!;
    assert.ok(again.getChild('registered'));
    assert.equal(again.getChildText('username'), 'Annie');
    const reserved = await ask(ann, `<iq type="get" id="r" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info" node="x-roomuser-item"/></iq>`);
    assert.equal(reserved!.getChild('query')!.getChild('identity')!.attrs.name, 'Annie');
    const members = await ask(olga, `<iq type="get" id="m" to="${ROOM}"><query xmlns="${MUC}#admin"><item affiliation="member"/></query></iq>`);
    assert.deepEqual(
      members!
        .getChild('query')!
        .getChildren('item')
        .map((i) => [i.attrs.jid, i.attrs.nick]),
      [['ann@example.com', 'Annie']],
    );
    assert.equal(errorOf(await ask(ben, submit('annie'))), 'conflict', 'the same nick under RFC 8266 comparison');
    await h.send(ben, `<presence to="${ROOM}/annie"><x xmlns="${MUC}"/></presence>`);
    assert.equal(errorOf(h.take(ben)[0]), 'conflict', 'nobody else enters under a reserved nick');
    await h.send(olga, `<presence to="${ROOM}/Annie"/>`);
    assert.equal(errorOf(h.take(olga)[0]), 'conflict', 'not even the owner changes nick to it');
  });

  it('members-only: registration brings entry; a user without affiliation gets registration-required; banned forbidden', async () => {
    assert.equal((await ask(olga, config({ 'muc#roomconfig_membersonly': '1' })))!.attrs.type, 'result');
    h.received.length = 0;
    assert.equal(errorOf(await ask(cid, getForm)), 'registration-required');
    assert.equal(errorOf(await ask(cid, submit('cid'))), 'registration-required');
    await h.send(ann, `<presence to="${ROOM}/Annie"><x xmlns="${MUC}"/></presence>`);
    assert.ok(
      h.take(ann).some((e) => e.name === 'presence' && e.attrs.from === `${ROOM}/Annie` && !e.attrs.type),
      'the member enters',
    );
    await ask(olga, `<iq type="set" id="b" to="${ROOM}"><query xmlns="${MUC}#admin"><item affiliation="outcast" jid="ben@example.com"/></query></iq>`);
    assert.equal(errorOf(await ask(ben, getForm)), 'forbidden');
    assert.equal(errorOf(await ask(ben, submit('benny'))), 'forbidden');
  });

  it('a visitor in a moderated room who registers becomes a member with voice, shown to everyone', async () => {
    const mod = `quiet@${SERVICE}`;
    await h.send(olga, `<presence to="${mod}/olga"><x xmlns="${MUC}"/></presence>`);
    await h.send(olga, config({ 'muc#roomconfig_moderatedroom': '1' }).replace(ROOM, mod));
    const dan = await h.login('dan@example.com/d');
    await h.send(dan, `<presence to="${mod}/dan"/>`);
    h.received.length = 0;
    assert.equal((await ask(dan, submit('dan').replace(ROOM, mod)))!.attrs.type, 'result');
    const seen = h.take(olga).find((e) => e.name === 'presence' && e.attrs.from === `${mod}/dan`)!;
    const item = seen.getChild('x', `${MUC}#user`)!.getChild('item')!;
    assert.deepEqual([item.attrs.affiliation, item.attrs.role], ['member', 'participant']);
  });

  it('<remove/> gives the nick back; nothing to remove is item-not-found', async () => {
    const remove = `<iq type="set" id="x" to="${ROOM}"><query xmlns="${REG}"><remove/></query></iq>`;
    assert.equal(errorOf(await ask(cid, remove)), 'item-not-found');
    assert.equal((await ask(ann, remove))!.attrs.type, 'result');
    h.take(ann);
    const reserved = await ask(ann, `<iq type="get" id="r" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info" node="x-roomuser-item"/></iq>`);
    assert.equal(reserved!.getChild('query')!.getChild('identity'), undefined);
    // members-only room: the membership stays (an admin gave the room its members), the nick is free
    const members = await ask(olga, `<iq type="get" id="m" to="${ROOM}"><query xmlns="${MUC}#admin"><item affiliation="member"/></query></iq>`);
    assert.deepEqual(
      members!
        .getChild('query')!
        .getChildren('item')
        .map((i) => [i.attrs.jid, i.attrs.nick]),
      [['ann@example.com', undefined]],
    );
  });
});
