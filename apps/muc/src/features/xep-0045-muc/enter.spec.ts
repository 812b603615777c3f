import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MucHarness, SERVICE, errorOf, statuses } from '../../testing/muc-harness.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const join = (room: string, nick: string, extra = '') => `<presence to="${room}@${SERVICE}/${nick}"><x xmlns="${MUC}">${extra}</x></presence>`;
const instant = (room: string) =>
  `<iq type="set" id="cfg" to="${room}@${SERVICE}"><query xmlns="${OWNER}"><x xmlns="jabber:x:data" type="submit"/></query></iq>`;

describe('XEP-0045 entering, talking, leaving', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('creates a locked room for its owner (201, 110), refuses others until configured, then lets them in with presence, history and subject', async () => {
    const alice = await h.login('alice@example.com/a');
    const bob = await h.login('bob@example.com/b');
    await h.send(alice, join('team', 'Alice'));
    const created = h.take(alice);
    const self = created.find((e) => e.name === 'presence')!;
    assert.equal(self.attrs.from, `team@${SERVICE}/Alice`);
    assert.deepEqual(statuses(self), [110, 170, 201]);
    const item = self.getChild('x', USER)!.getChild('item')!;
    assert.equal(item.attrs.affiliation, 'owner');
    assert.equal(item.attrs.role, 'moderator');

    await h.send(bob, join('team', 'Bob'));
    assert.equal(errorOf(h.take(bob)[0]), 'item-not-found', 'locked until configured (§10.1.1)');

    await h.send(alice, instant('team'));
    assert.equal(h.take(alice)[0]!.attrs.type, 'result');
    await h.send(alice, `<message to="team@${SERVICE}" type="groupchat"><body>first</body></message>`);
    const echoed = h.take(alice);
    assert.equal(echoed.length, 1, 'the sender gets its own message back (§7.4)');
    assert.equal(echoed[0]!.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by, `team@${SERVICE}`);
    assert.ok(echoed[0]!.getChild('occupant-id', 'urn:xmpp:occupant-id:0')?.attrs.id);

    await h.send(bob, join('team', 'Bob'));
    const got = h.take(bob);
    const kinds = got.map((e) =>
      e.name === 'presence' ? `p:${e.attrs.from!.split('/')[1]}` : e.getChild('subject') ? 'subject' : `m:${e.getChildText('body')}`,
    );
    assert.deepEqual(kinds, ['p:Alice', 'p:Bob', 'm:first', 'subject'], 'others, self, history, subject (§7.2.3–§7.2.15)');
    assert.deepEqual(statuses(got[1]!), [110, 170], '170: the room is archived (muc.defaultEnableLogging)');
    assert.equal(got[0]!.getChild('x', USER)!.getChild('item')!.attrs.jid, undefined, 'semi-anonymous: participants do not see real JIDs');
    assert.ok(got[2]!.getChild('delay', 'urn:xmpp:delay'), 'history carries a delay');
    const toAlice = h.take(alice);
    assert.equal(toAlice.length, 1);
    assert.equal(toAlice[0]!.attrs.from, `team@${SERVICE}/Bob`);
    assert.equal(toAlice[0]!.getChild('x', USER)!.getChild('item')!.attrs.jid, 'bob@example.com/b', 'moderators see real JIDs');
  });

  it('refuses a taken nick (conflict), a malformed one (jid-malformed), and messages from non-occupants (not-acceptable)', async () => {
    const carol = await h.login('carol@example.com/c');
    await h.send(carol, join('team', 'bob'));
    assert.equal(errorOf(h.take(carol)[0]), 'conflict', 'nicks compare case-insensitively (RFC 8266)');
    await h.send(carol, join('team', '   ')); // nothing left after RFC 8266's space mapping
    assert.equal(errorOf(h.take(carol)[0]), 'jid-malformed');
    await h.send(carol, `<message to="team@${SERVICE}" type="groupchat"><body>hi</body></message>`);
    assert.equal(errorOf(h.take(carol)[0]), 'not-acceptable');
  });

  it('sends private messages between occupants and refuses them to unknown nicks', async () => {
    const [alice, bob] = await Promise.all([h.registry.get('alice@example.com/a'), h.registry.get('bob@example.com/b')]);
    await h.send(bob!, `<message to="team@${SERVICE}/alice" type="chat"><body>psst</body></message>`);
    const pm = h.take(alice!);
    assert.equal(pm[0]!.attrs.from, `team@${SERVICE}/Bob`);
    assert.equal(pm[0]!.getChildText('body'), 'psst');
    assert.ok(pm[0]!.getChild('x', USER));
    await h.send(bob!, `<message to="team@${SERVICE}/nobody" type="chat"><body>?</body></message>`);
    assert.equal(errorOf(h.take(bob!)[0]), 'item-not-found');
  });

  it('changes nicks with 303 then the new presence, and leaving tells everyone', async () => {
    const [alice, bob] = await Promise.all([h.registry.get('alice@example.com/a'), h.registry.get('bob@example.com/b')]);
    await h.send(bob!, `<presence to="team@${SERVICE}/Robert"/>`);
    const seen = h.take(alice!);
    assert.equal(seen[0]!.attrs.type, 'unavailable');
    assert.deepEqual(statuses(seen[0]!), [303]);
    assert.equal(seen[0]!.getChild('x', USER)!.getChild('item')!.attrs.nick, 'Robert');
    assert.equal(seen[1]!.attrs.from, `team@${SERVICE}/Robert`);
    assert.deepEqual(statuses(h.take(bob!)[0]!), [110, 303]);
    await h.send(bob!, `<presence to="team@${SERVICE}/Robert" type="unavailable"><status>bye</status></presence>`);
    const left = h.take(bob!);
    assert.equal(left[0]!.attrs.type, 'unavailable');
    assert.deepEqual(statuses(left[0]!), [110]);
    const told = h.take(alice!);
    assert.equal(told[0]!.attrs.type, 'unavailable');
    assert.equal(told[0]!.getChildText('status'), 'bye');
  });

  it('an occupant whose session the edge reports gone is taken out of the room with 333', async () => {
    const alice = (await h.registry.get('alice@example.com/a'))!;
    const fay = await h.login('fay@example.com/f');
    await h.send(fay, join('team', 'fay'));
    h.take(fay);
    h.take(alice);
    h.vanished.add(fay.sessionId);
    await h.send(alice, `<message to="team@${SERVICE}" type="groupchat"><body>anyone?</body></message>`);
    await h.waitFor(
      () => h.received.some((r) => r.sessionId === alice.sessionId && r.el.attrs.from === `team@${SERVICE}/fay` && r.el.attrs.type === 'unavailable'),
      'fay gone',
    );
    const gone = h.take(alice).find((e) => e.attrs.type === 'unavailable')!;
    assert.deepEqual(statuses(gone), [333]);
  });

  it('a temporary room goes with its last occupant; the live state moves to another replica with its occupants', async () => {
    const dave = await h.login('dave@example.com/d');
    const erin = await h.login('erin@example.com/e');
    await h.send(dave, `<presence to="tmp@${SERVICE}/dave"/>`); // no <x/>: an instant room (§10.1.3)
    assert.deepEqual(statuses(h.take(dave)[0]!), [110, 170, 201]);
    await h.send(erin, `<presence to="tmp@${SERVICE}/erin"/>`);
    h.take(erin);
    h.take(dave);
    // another replica takes over (the first stops: its partitions move); occupants stay joined
    const first = h.muc;
    await h.startService('muc-2');
    await first.stop();
    await h.send(erin, `<message to="tmp@${SERVICE}" type="groupchat"><body>still here</body></message>`);
    assert.equal(h.take(dave)[0]!.getChildText('body'), 'still here');
    await h.send(dave, `<presence to="tmp@${SERVICE}/dave" type="unavailable"/>`);
    await h.send(erin, `<presence to="tmp@${SERVICE}/erin" type="unavailable"/>`);
    assert.equal(await h.storage.mucRooms.get(`tmp@${SERVICE}`), undefined, 'gone with its last occupant');
    assert.ok(await h.storage.mucRooms.get(`team@${SERVICE}`), 'the other room is not');
  });
});

/**
 * An occupant of another domain (a federated user, issue 13): what the room sends it has no session
 * here, so it goes to the router (whose exit for a remote domain is s2s, or a bounce), never dropped.
 */
describe('XEP-0045 with an occupant of another domain', () => {
  let h: MucHarness;
  before(async () => {
    h = await MucHarness.start();
  });
  after(async () => {
    await h?.close();
  });

  it('its presences and the room messages are routed to it; a local occupant hears it', async () => {
    const alice = await h.login('alice@example.com/a');
    const rita = { jid: 'rita@partner.example/phone', edgeId: 's2s', sessionId: 'rita' } as Awaited<ReturnType<MucHarness['login']>>;
    await h.send(alice, join('fed', 'Alice'));
    await h.send(alice, instant('fed'));
    h.take(alice);
    const before = h.toRouter.length;
    await h.send(rita, join('fed', 'Rita'));
    await h.send(alice, `<message to="fed@${SERVICE}" type="groupchat"><body>hello partner</body></message>`);
    await h.waitFor(() => h.toRouter.slice(before).some((f) => f.stanza?.kind === 'MESSAGE'), 'the message to rita through the router');
    const toRita = h.toRouter
      .slice(before)
      .map((f) => f.stanza!)
      .filter((s) => s.to === rita.jid);
    assert.deepEqual(
      toRita.map((s) => `${s.kind}:${s.from}`),
      [`PRESENCE:fed@${SERVICE}/Alice`, `PRESENCE:fed@${SERVICE}/Rita`, `MESSAGE:fed@${SERVICE}`, `MESSAGE:fed@${SERVICE}/Alice`],
      'the occupant list, its own presence, the subject, then the message',
    );
    assert.ok(Buffer.from(toRita[3]!.xml).toString().includes('hello partner'));
    const heard = h.take(alice);
    assert.ok(
      heard.some((e) => e.name === 'presence' && e.attrs.from === `fed@${SERVICE}/Rita`),
      'alice sees rita come in',
    );
  });

  it('its server bouncing a room message (remote-server-not-found, as a failed s2s link) takes it out with 333; a refusal of one message does not', async () => {
    const alice = (await h.registry.get('alice@example.com/a'))!;
    const rita = { jid: 'rita@partner.example/phone', edgeId: 's2s', sessionId: 'rita' } as Awaited<ReturnType<MucHarness['login']>>;
    h.take(alice);
    // a client refusing one private message (XEP-0045 leaves it in; Prosody's mod_muc too)
    await h.send(
      rita,
      `<message from="${rita.jid}" to="fed@${SERVICE}/Alice" type="error"><error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
    );
    await h.send(alice, `<message to="fed@${SERVICE}" type="groupchat"><body>still with us?</body></message>`);
    assert.ok(!h.take(alice).some((e) => e.name === 'presence' && e.attrs.from === `fed@${SERVICE}/Rita`), 'rita stays');
    // the s2s pool's bounce of the room's groupchat: from rita's JID to the sender's room JID
    await h.send(
      rita,
      `<message from="${rita.jid}" to="fed@${SERVICE}/Alice" type="error"><body>still with us?</body><error type="cancel"><remote-server-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`,
    );
    await h.waitFor(
      () => h.received.some((r) => r.sessionId === alice.sessionId && r.el.attrs.from === `fed@${SERVICE}/Rita` && r.el.attrs.type === 'unavailable'),
      'rita removed',
    );
    const gone = h.take(alice).find((e) => e.attrs.type === 'unavailable')!;
    assert.deepEqual(statuses(gone), [333]);
  });
});

/**
 * The real router hands a remote user's join to the room in that user's partition and waits for the
 * room's Ack there; what the room sends that user goes back through the same partition. A frame
 * whose Ack waited for those would wait for itself (seen with Prosody: 5 s, then the join bounced
 * and the occupant list arrived out of order).
 */
describe('XEP-0045: a frame for an occupant of another domain does not wait on the router', () => {
  let h: MucHarness;
  before(async () => {
    // the room's requests to the router would wait far longer than the sender waits for its Ack
    h = await MucHarness.start({ bus: { partitions: 8, heartbeatMs: 100, requestTimeoutMs: 60_000 } });
  });
  after(async () => {
    h.routerBusy = false;
    for (const answer of h.routerWaiting.splice(0)) answer();
    await h?.close();
  });

  it("rex's join is taken while his router partition is busy waiting for it; the room's stanzas to him are already handed over, in order", async () => {
    const alice = await h.login('alice@example.com/a');
    await h.send(alice, join('busy', 'Alice'));
    await h.send(alice, instant('busy'));
    const rex = { jid: 'rex@partner.example/pc', edgeId: 's2s', sessionId: 'rex' } as Awaited<ReturnType<MucHarness['login']>>;
    const before = h.toRouter.length;
    h.routerBusy = true;
    const ack = await h.send(rex, join('busy', 'Rex'));
    assert.equal(ack.taken, true);
    const toRex = h.toRouter.slice(before).filter((f) => f.stanza?.to === rex.jid);
    assert.deepEqual(
      toRex.map((f) => `${f.stanza!.kind}:${f.stanza!.from}`),
      [`PRESENCE:busy@${SERVICE}/Alice`, `PRESENCE:busy@${SERVICE}/Rex`, `MESSAGE:busy@${SERVICE}`],
      'the occupant list, his own presence, then the subject (§7.2.15)',
    );
  });
});
