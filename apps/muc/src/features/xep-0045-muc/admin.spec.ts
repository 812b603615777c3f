import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SessionInfo } from '#libs/sessions';
import type { Element } from '#libs/xml';
import { MucHarness, SERVICE, errorOf, statuses } from '../../testing/muc-harness.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const ADMIN = 'http://jabber.org/protocol/muc#admin';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const join = (room: string, nick: string, extra = '') => `<presence to="${room}@${SERVICE}/${nick}"><x xmlns="${MUC}">${extra}</x></presence>`;
const submit = (room: string, fields: Record<string, string | string[]>) =>
  `<iq type="set" id="cfg" to="${room}@${SERVICE}"><query xmlns="${OWNER}"><x xmlns="jabber:x:data" type="submit">` +
  `<field var="FORM_TYPE"><value>http://jabber.org/protocol/muc#roomconfig</value></field>` +
  Object.entries(fields)
    .map(([k, v]) => `<field var="${k}">${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join('')}</field>`)
    .join('') +
  `</x></query></iq>`;
const admin = (room: string, item: string) => `<iq type="set" id="adm" to="${room}@${SERVICE}"><query xmlns="${ADMIN}">${item}</query></iq>`;
/** The last IQ answer among what a session received. */
const iqOf = (els: Element[]) => els.filter((e) => e.name === 'iq').at(-1);

describe('XEP-0045 affiliations, roles, configuration, destroy', () => {
  let h: MucHarness;
  let owner: SessionInfo;
  let bob: SessionInfo;
  let eve: SessionInfo;
  before(async () => {
    h = await MucHarness.start({ muc: { maxOccupantsPerRoom: 3 } });
    owner = await h.login('olga@example.com/o');
    bob = await h.login('bob@example.com/b');
    eve = await h.login('eve@example.com/e');
    await h.send(owner, join('ops', 'olga'));
    await h.send(owner, submit('ops', { 'muc#roomconfig_persistentroom': '1' }));
    await h.send(bob, join('ops', 'bob'));
    await h.send(eve, join('ops', 'eve'));
    h.received.length = 0;
  });
  after(async () => {
    await h?.close();
  });

  it('a non-owner cannot read or change the configuration (forbidden); a wrong value is not-acceptable', async () => {
    await h.send(bob, `<iq type="get" id="g" to="ops@${SERVICE}"><query xmlns="${OWNER}"/></iq>`);
    assert.equal(errorOf(iqOf(h.take(bob))), 'forbidden');
    await h.send(bob, submit('ops', { 'muc#roomconfig_roomname': 'mine' }));
    assert.equal(errorOf(iqOf(h.take(bob))), 'forbidden');
    await h.send(owner, submit('ops', { 'muc#roomconfig_persistentroom': 'maybe' }));
    assert.equal(errorOf(iqOf(h.take(owner))), 'not-acceptable');
    await h.send(owner, submit('ops', { 'muc#maxhistoryfetch': '100000' }));
    assert.equal(errorOf(iqOf(h.take(owner))), 'not-acceptable');
    await h.send(owner, `<iq type="get" id="g" to="ops@${SERVICE}"><query xmlns="${OWNER}"/></iq>`);
    assert.ok(iqOf(h.take(owner))!.getChild('query', OWNER)?.getChild('x', 'jabber:x:data'));
  });

  it('kicks (307) and refuses kicks by non-moderators and of admins (forbidden, not-allowed)', async () => {
    await h.send(bob, admin('ops', `<item nick="eve" role="none"/>`));
    assert.equal(errorOf(iqOf(h.take(bob))), 'forbidden');
    await h.send(owner, admin('ops', `<item nick="eve" role="none"><reason>noise</reason></item>`));
    const kicked = h.take(eve);
    assert.equal(kicked[0]!.attrs.type, 'unavailable');
    assert.deepEqual(statuses(kicked[0]!), [110, 307]);
    assert.equal(kicked[0]!.getChild('x', USER)!.getChild('item')!.getChildText('reason'), 'noise');
    assert.deepEqual(statuses(h.take(bob)[0]!), [307]);
    h.take(owner);
  });

  it('bans by JID (301); the outcast cannot come back under another nick (forbidden)', async () => {
    await h.send(eve, join('ops', 'eve'));
    h.take(eve);
    await h.send(owner, admin('ops', `<item jid="eve@example.com" affiliation="outcast"/>`));
    assert.deepEqual(statuses(h.take(eve)[0]!), [110, 301]);
    await h.send(eve, join('ops', 'totally-not-eve'));
    assert.equal(errorOf(h.take(eve)[0]), 'forbidden');
    await h.send(owner, `<iq type="get" id="l" to="ops@${SERVICE}"><query xmlns="${ADMIN}"><item affiliation="outcast"/></query></iq>`);
    assert.deepEqual(
      iqOf(h.take(owner))!
        .getChild('query', ADMIN)!
        .getChildren('item')
        .map((i) => i.attrs.jid),
      ['eve@example.com'],
    );
    h.received.length = 0;
  });

  it('an admin cannot change an owner (not-allowed); the last owner cannot leave ownership (conflict)', async () => {
    await h.send(owner, admin('ops', `<item jid="bob@example.com" affiliation="admin"/>`));
    h.received.length = 0;
    await h.send(bob, admin('ops', `<item jid="olga@example.com" affiliation="none"/>`));
    assert.equal(errorOf(iqOf(h.take(bob))), 'not-allowed');
    await h.send(owner, admin('ops', `<item jid="olga@example.com" affiliation="member"/>`));
    assert.equal(errorOf(iqOf(h.take(owner))), 'conflict');
    h.received.length = 0;
  });

  it('members-only: non-members get registration-required; a password room not-authorized; a full room service-unavailable', async () => {
    const zoe = await h.login('zoe@example.com/z');
    await h.send(owner, submit('ops', { 'muc#roomconfig_membersonly': '1' }));
    h.received.length = 0;
    await h.send(zoe, join('ops', 'zoe'));
    assert.equal(errorOf(h.take(zoe)[0]), 'registration-required');
    await h.send(owner, submit('ops', { 'muc#roomconfig_membersonly': '0', 'muc#roomconfig_passwordprotectedroom': '1', 'muc#roomconfig_roomsecret': 'pw' }));
    h.received.length = 0;
    await h.send(zoe, join('ops', 'zoe'));
    assert.equal(errorOf(h.take(zoe)[0]), 'not-authorized');
    await h.send(zoe, join('ops', 'zoe', '<password>pw</password>'));
    assert.deepEqual(statuses(h.take(zoe).at(-2)!), [110, 170], 'in, with the password (3 of 3 places taken)');
    const yan = await h.login('yan@example.com/y');
    await h.send(yan, join('ops', 'yan', '<password>pw</password>'));
    assert.equal(errorOf(h.take(yan)[0]), 'service-unavailable', 'muc.maxOccupantsPerRoom is 3');
    h.received.length = 0;
  });

  it('lists public rooms with RSM, answers room disco and self-ping, and destroys a room with an alternative', async () => {
    await h.send(
      owner,
      `<iq type="get" id="i" to="${SERVICE}"><query xmlns="http://jabber.org/protocol/disco#items"><set xmlns="http://jabber.org/protocol/rsm"><max>10</max></set></query></iq>`,
    );
    const items = String(iqOf(h.take(owner)));
    assert.match(items, /jid="ops@conference\.example\.com"/);
    assert.match(items, /<count>1<\/count>/);
    await h.send(bob, `<iq type="get" id="i" to="ops@${SERVICE}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
    const info = String(iqOf(h.take(bob)));
    for (const f of ['muc_persistent', 'muc_passwordprotected', 'urn:xmpp:occupant-id:0', 'muc_semianonymous']) assert.ok(info.includes(`var="${f}"`), f);
    await h.send(bob, `<iq type="get" id="p" to="ops@${SERVICE}/bob"><ping xmlns="urn:xmpp:ping"/></iq>`);
    assert.equal(iqOf(h.take(bob))!.attrs.type, 'result');
    await h.send(bob, `<iq type="get" id="p" to="ops@${SERVICE}/olga"><ping xmlns="urn:xmpp:ping"/></iq>`);
    assert.equal(errorOf(iqOf(h.take(bob))), 'not-acceptable');
    await h.send(
      owner,
      `<iq type="set" id="d" to="ops@${SERVICE}"><query xmlns="${OWNER}"><destroy jid="new@${SERVICE}"><reason>moved</reason></destroy></query></iq>`,
    );
    const gone = h.take(bob)[0]!;
    assert.equal(gone.attrs.type, 'unavailable');
    assert.equal(gone.getChild('x', USER)!.getChild('destroy')!.attrs.jid, `new@${SERVICE}`);
    assert.deepEqual(
      gone
        .getChild('x', USER)!
        .getChildren('status')
        .map((s) => s.attrs.code),
      ['110'],
      'each occupant gets only its own unavailable: a self-presence (§7.14)',
    );
    assert.equal(await h.storage.mucRooms.get(`ops@${SERVICE}`), undefined);
  });
  it('a full room (muc#roomconfig_maxusers) refuses a newcomer with service-unavailable, and lets an admin in (§7.2.10)', async () => {
    const [ann, ben, cid] = await Promise.all(['ann@example.com/a', 'ben@example.com/b', 'cid@example.com/c'].map((j) => h.login(j)));
    await h.send(ann!, join('pair', 'ann'));
    await h.send(ann!, submit('pair', { 'muc#roomconfig_maxusers': '2' }));
    await h.send(ben!, join('pair', 'ben'));
    h.received.length = 0;
    await h.send(cid!, join('pair', 'cid'));
    const refused = h.take(cid!);
    assert.equal(refused.length, 1, 'only the error: no occupant list, no subject');
    assert.equal(refused[0]!.attrs.type, 'error');
    assert.equal(errorOf(refused[0]), 'service-unavailable');
    assert.equal(refused[0]!.getChild('error')!.attrs.type, 'wait');
    assert.deepEqual(h.take(ann!), [], 'the occupants hear of no one');
    await h.send(ann!, admin('pair', `<item jid="cid@example.com" affiliation="admin"/>`));
    h.received.length = 0;
    await h.send(cid!, join('pair', 'cid'));
    assert.ok(
      h.take(cid!).some((e) => e.name === 'presence' && e.attrs.from === `pair@${SERVICE}/cid` && statuses(e).includes(110)),
      'an admin enters a full room',
    );
  });
});
