import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '#libs/sessions';
import type { Element } from '#libs/xml';
import { MucHarness, SERVICE, errorOf } from '../../testing/muc-harness.js';

const MUC = 'http://jabber.org/protocol/muc';
const RETRACT = 'urn:xmpp:message-retract:1';
const MODERATE = 'urn:xmpp:message-moderate:1';
const MAM = 'urn:xmpp:mam:2';
const ROOM = `talk@${SERVICE}`;
const sidOf = (e: Element) => e.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id!;
const say = (body: string) => `<message to="${ROOM}" type="groupchat"><body>${body}</body></message>`;
const retract = (id: string) =>
  `<message to="${ROOM}" type="groupchat" id="r-${id}"><retract xmlns="${RETRACT}" id="${id}"/>` +
  `<fallback xmlns="urn:xmpp:fallback:0" for="${RETRACT}"/><body>retracted (unsupported client)</body><store xmlns="urn:xmpp:hints"/></message>`;
const moderate = (id: string, reason = '') =>
  `<iq type="set" id="m" to="${ROOM}"><moderate xmlns="${MODERATE}" id="${id}"><retract xmlns="${RETRACT}"/>${reason ? `<reason>${reason}</reason>` : ''}</moderate></iq>`;

describe('XEP-0424 retraction and XEP-0425 moderation in rooms', () => {
  let h: MucHarness;
  let olga: SessionInfo;
  let ann: SessionInfo;
  let ben: SessionInfo;
  const archived = async (s: SessionInfo) => {
    await h.send(s, `<iq type="set" id="q" to="${ROOM}"><query xmlns="${MAM}" queryid="q"/></iq>`);
    return h
      .take(s)
      .filter((e) => e.name === 'message')
      .map((e) => e.getChild('result', MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!);
  };
  const sent = async (s: SessionInfo, body: string) => {
    await h.send(s, say(body));
    const mine = h.take(s).find((e) => e.getChildText('body') === body)!;
    h.received.length = 0;
    return sidOf(mine);
  };
  before(async () => {
    h = await MucHarness.start();
    olga = await h.login('olga@example.com/o');
    ann = await h.login('ann@example.com/a');
    ben = await h.login('ben@example.com/b');
    await h.send(olga, `<presence to="${ROOM}/olga"/>`); // instant room: olga owns it, logging on by default
    await h.send(ann, `<presence to="${ROOM}/ann"/>`);
    await h.send(ben, `<presence to="${ROOM}/ben"/>`);
    h.received.length = 0;
  });
  after(async () => {
    await h?.close();
  });

  it('advertises both features on the room', async () => {
    await h.send(ann, `<iq type="get" id="d" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
    const features = h
      .take(ann)[0]!
      .getChild('query')!
      .getChildren('feature')
      .map((f) => f.attrs.var);
    assert.ok(features.includes(RETRACT) && features.includes(MODERATE));
  });

  it('XEP-0424: the sender retracts its own message; everyone gets the retraction; history and archive keep a tombstone', async () => {
    const id = await sent(ann, 'oops, wrong room');
    await h.send(ann, retract(id));
    const seen = h.take(ben);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.attrs.from, `${ROOM}/ann`);
    assert.equal(seen[0]!.getChild('retract', RETRACT)!.attrs.id, id);
    h.received.length = 0;
    const inArchive = (await archived(ben)).find((m) => m.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id === id)!;
    assert.equal(inArchive.getChildText('body'), undefined, 'the body is gone');
    assert.ok(inArchive.getChild('retracted', RETRACT)!.attrs.stamp);
    assert.equal(inArchive.getChild('retracted', RETRACT)!.attrs.id, `r-${id}`);
    assert.ok(inArchive.getChild('occupant-id', 'urn:xmpp:occupant-id:0'), 'who wrote it stays known');
    const cid = await h.login('cid@example.com/c');
    await h.send(cid, `<presence to="${ROOM}/cid"><x xmlns="${MUC}"><history maxstanzas="20"/></x></presence>`);
    const bodies = h
      .take(cid)
      .filter((e) => e.name === 'message')
      .map((e) => e.getChildText('body'));
    assert.ok(!bodies.includes('oops, wrong room'), 'history on join no longer replays it');
    await h.send(cid, `<presence to="${ROOM}/cid" type="unavailable"/>`);
    h.received.length = 0;
  });

  it("XEP-0424: nobody retracts another's message (forbidden), nor an unknown one (item-not-found)", async () => {
    const id = await sent(ann, 'mine');
    await h.send(ben, retract(id));
    assert.equal(errorOf(h.take(ben)[0]), 'forbidden');
    assert.equal(h.take(ann).length, 0, 'nothing was broadcast');
    await h.send(ben, retract('no-such-id'));
    assert.equal(errorOf(h.take(ben)[0]), 'item-not-found');
    const body = (await archived(ann)).find((m) => m.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id === id)!.getChildText('body');
    assert.equal(body, 'mine', 'still there');
  });

  it('XEP-0425: a moderator retracts any message with a reason; the room tells everyone and archives a moderated tombstone', async () => {
    const id = await sent(ann, 'spam spam');
    await h.send(olga, moderate(id, 'off topic'));
    const answer = h.take(olga);
    assert.equal(answer.find((e) => e.name === 'iq')!.attrs.type, 'result');
    const notice = h.take(ben)[0]!;
    assert.equal(notice.attrs.from, ROOM, 'from the room itself (§5: only those are legitimate)');
    const r = notice.getChild('retract', RETRACT)!;
    assert.equal(r.attrs.id, id);
    assert.equal(r.getChild('moderated', MODERATE)!.attrs.by, `${ROOM}/olga`);
    assert.ok(r.getChild('moderated', MODERATE)!.getChild('occupant-id', 'urn:xmpp:occupant-id:0'));
    assert.equal(r.getChildText('reason'), 'off topic');
    assert.ok(
      answer.some((e) => e.getChild('retract', RETRACT)),
      'the moderator gets it too',
    );
    h.received.length = 0;
    const tomb = (await archived(ben)).find((m) => m.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id === id)!;
    assert.equal(tomb.getChildText('body'), undefined);
    const retracted = tomb.getChild('retracted', RETRACT)!;
    assert.equal(retracted.getChild('moderated', MODERATE)!.attrs.by, `${ROOM}/olga`);
    assert.equal(retracted.getChildText('reason'), 'off topic');
  });

  it('XEP-0425 errors: a participant is forbidden, an unknown id item-not-found, no <retract/> bad-request', async () => {
    const id = await sent(ben, 'keep me');
    await h.send(ann, moderate(id));
    assert.equal(errorOf(h.take(ann)[0]), 'forbidden');
    assert.equal(h.take(ben).length, 0);
    await h.send(olga, moderate('no-such-id'));
    assert.equal(errorOf(h.take(olga)[0]), 'item-not-found');
    await h.send(olga, `<iq type="set" id="m" to="${ROOM}"><moderate xmlns="${MODERATE}" id="${id}"/></iq>`);
    assert.equal(errorOf(h.take(olga)[0]), 'bad-request');
    await h.send(olga, moderate(id).replace(ROOM, `nowhere@${SERVICE}`));
    assert.equal(errorOf(h.take(olga)[0]), 'item-not-found');
  });
});
