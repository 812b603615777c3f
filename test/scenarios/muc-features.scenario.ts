import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmppScript } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const MUC = 'http://jabber.org/protocol/muc';
const USER = 'http://jabber.org/protocol/muc#user';
const OWNER = 'http://jabber.org/protocol/muc#owner';
const XDATA = 'jabber:x:data';
const RETRACT = 'urn:xmpp:message-retract:1';
const MODERATE = 'urn:xmpp:message-moderate:1';

const field = (v: string, value: string) => xml('field', { var: v }, xml('value', {}, value));
const submit = (formType: string, ...fields: XmppElement[]) => xml('x', { xmlns: XDATA, type: 'submit' }, field('FORM_TYPE', formType), ...fields);
const roleOf = (s: XmppElement) => s.getChild('x', USER)?.getChild('item')?.attrs.role;

/**
 * The issue-12 room features with xmpp.js over the real server: alice makes a moderated room; bob
 * registers a nick (§7.10) and is then a member with voice; carol enters as a visitor, asks for voice
 * (§7.13), alice approves (§8.6); slixmpp's xep_0045 (dave) does the same with request_voice; bob retracts his own message (XEP-0424); alice moderates carol's
 * (XEP-0425); the room archive holds tombstones.
 */
export async function mucFeaturesScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const users = ['alice', 'bob', 'carol', 'dave'].map((u) => `${u}-mucf-${tag}@${d.domain}`) as [string, string, string, string];
  for (const u of users) await addUser(u, 'muc-password', d.adminPort);
  const room = `mod-${tag}@conference.${d.domain}`;
  const clients: TestClient[] = [];
  const on = async (user: string) => {
    // users spread over the edges (a cluster's deliveries cross edges)
    const edge = d.edges[clients.length % d.edges.length]!;
    const c = await connect(`xmpp://${edge.host}:${edge.c2sPort}`, user.split('@')[0]!, 'muc-password', 'e2e', d.domain);
    clients.push(c);
    await c.send(xml('presence'));
    return c;
  };
  const enter = async (c: TestClient, nick: string) => {
    await c.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC })));
    return c.waitFor(`${nick} in`, (s) => s.is('presence') && s.attrs.from === `${room}/${nick}` && !s.attrs.type);
  };
  try {
    const a = await on(users[0]);
    await enter(a, 'alice');
    const cfg = submit(`${MUC}#roomconfig`, field('muc#roomconfig_moderatedroom', '1'), field('muc#roomconfig_persistentroom', '1'));
    assert.equal((await a.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: OWNER }, cfg)))).attrs.type, 'result');

    const b = await on(users[1]);
    const form = await b.iq(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'jabber:iq:register' })));
    assert.ok(form.getChild('query')!.getChild('x', XDATA), 'the muc#register form');
    const reg = xml('query', { xmlns: 'jabber:iq:register' }, submit(`${MUC}#register`, field('muc#register_roomnick', 'Bobby')));
    assert.equal((await b.iq(xml('iq', { type: 'set', to: room }, reg))).attrs.type, 'result');
    assert.equal(roleOf(await enter(b, 'Bobby')), 'participant', 'a registered member has voice in a moderated room');

    const c = await on(users[2]);
    assert.equal(roleOf(await enter(c, 'carol')), 'visitor');
    await c.send(xml('message', { to: room }, submit(`${MUC}#request`, field('muc#role', 'participant'))));
    const asked = await a.waitFor('the voice request', (s) => s.is('message') && s.attrs.from === room && s.getChild('x', XDATA) !== undefined);
    const nick = asked
      .getChild('x', XDATA)!
      .getChildren('field')
      .find((f: XmppElement) => f.attrs.var === 'muc#roomnick')!
      .getChildText('value');
    assert.equal(nick, 'carol');
    await a.send(
      xml(
        'message',
        { to: room },
        submit(`${MUC}#request`, field('muc#role', 'participant'), field('muc#roomnick', 'carol'), field('muc#request_allow', 'true')),
      ),
    );
    await c.waitFor('carol has voice', (s) => s.is('presence') && s.attrs.from === `${room}/carol` && roleOf(s) === 'participant');

    // slixmpp's xep_0045 request_voice: dave asks, alice approves what reaches her, dave speaks
    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const slixEdge = d.edges[d.edges.length - 1]!;
    const slix = slixmppScript('slix_voice.py', [
      ...[
        '--jid',
        `${users[3]}/slix`,
        '--password',
        'muc-password',
        '--host',
        slixEdge.host,
        '--port',
        String(slixEdge.c2sPort),
        '--ca',
        join(caDir, 'ca.pem'),
      ],
      ...['--room', room, '--nick', 'dave', '--send-body', 'hello with voice'],
    ]);
    const slixFailed = slix.then((r) => (r.code === 0 ? new Promise<never>(() => {}) : Promise.reject(new Error(`slixmpp: ${r.stdout}${r.stderr}`))));
    const davesRequest = (s: XmppElement) =>
      s.is('message') &&
      s.attrs.from === room &&
      s
        .getChild('x', XDATA)
        ?.getChildren('field')
        .some((f: XmppElement) => f.attrs.var === 'muc#roomnick' && f.getChildText('value') === 'dave') === true;
    await Promise.race([a.waitFor("dave's voice request", davesRequest, 30_000), slixFailed]);
    await a.send(
      xml(
        'message',
        { to: room },
        submit(`${MUC}#request`, field('muc#role', 'participant'), field('muc#roomnick', 'dave'), field('muc#request_allow', 'true')),
      ),
    );
    await Promise.race([a.waitFor('dave speaks', isMessageWithBody('hello with voice'), 30_000), slixFailed]);
    const res = await slix;
    assert.equal(res.code, 0, `slixmpp: ${res.stdout}${res.stderr}`);
    assert.deepEqual((JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { steps: string[] }).steps, ['joined as visitor', 'asked', 'voiced']);

    await b.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'typo here')));
    const bobs = await c.waitFor("bob's message", isMessageWithBody('typo here'));
    const bobId = bobs.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id as string;
    await b.send(xml('message', { to: room, type: 'groupchat', id: 'r1' }, xml('retract', { xmlns: RETRACT, id: bobId }), xml('body', {}, 'retracted')));
    await c.waitFor('the retraction', (s) => s.is('message') && s.getChild('retract', RETRACT)?.attrs.id === bobId);

    await c.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'spam')));
    const spam = await a.waitFor("carol's spam", isMessageWithBody('spam'));
    const spamId = spam.getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id as string;
    const mod = xml('moderate', { xmlns: MODERATE, id: spamId }, xml('retract', { xmlns: RETRACT }), xml('reason', {}, 'spam'));
    assert.equal((await a.iq(xml('iq', { type: 'set', to: room }, mod))).attrs.type, 'result');
    const notice = await b.waitFor('the moderation', (s) => s.is('message') && s.attrs.from === room && s.getChild('retract', RETRACT)?.attrs.id === spamId);
    assert.equal(notice.getChild('retract', RETRACT)!.getChild('moderated', MODERATE)!.attrs.by, `${room}/alice`);

    await b.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'f' })));
    const results = b.stanzas.filter((s) => s.is('message') && s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'f');
    const archived = (id: string) =>
      results
        .map((r) => r.getChild('result', 'urn:xmpp:mam:2')!.getChild('forwarded', 'urn:xmpp:forward:0')!.getChild('message')!)
        .find((m) => m.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.id === id)!;
    assert.equal(archived(bobId).getChildText('body') ?? undefined, undefined, 'the body is gone');
    assert.ok(archived(bobId).getChild('retracted', RETRACT));
    assert.ok(archived(spamId).getChild('retracted', RETRACT)!.getChild('moderated', MODERATE));
  } finally {
    await Promise.all(clients.map((x) => x.stop()));
  }
}
