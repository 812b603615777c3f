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
const ADMIN = 'http://jabber.org/protocol/muc#admin';
const OWNER = 'http://jabber.org/protocol/muc#owner';

/** The deployment's environment that runs the muc service (off by default: muc.enabled). */
export const mucEnv: Record<string, string> = { GLIDER_MUC__ENABLED: 'true' };

const codes = (s: XmppElement): string[] => (s.getChild('x', USER)?.getChildren('status') ?? []).map((c: XmppElement) => c.attrs.code as string);
const selfPresence = (occupant: string) => (s: XmppElement) => s.is('presence') && s.attrs.from === occupant && !s.attrs.type && codes(s).includes('110');

/**
 * XEP-0045 with real clients: xmpp.js alice creates a room (201), accepts the instant configuration
 * and makes bob an admin; xmpp.js dave joins; slixmpp's xep_0045 (bob) joins, talks with alice,
 * changes nick and kicks dave (307); xmpp.js carol joins and gets the history with delays and the
 * subject, self-pings (XEP-0410), and alice kicks her. The public room list shows the room.
 */
export async function mucScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const users = ['alice', 'bob', 'carol', 'dave'].map((u) => `${u}-muc-${tag}@${d.domain}`) as [string, string, string, string];
  for (const u of users) await addUser(u, 'muc-password', d.adminPort);
  const [alice, bob, carol, dave] = users;
  const service = `conference.${d.domain}`;
  const room = `lobby-${tag}@${service}`;
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string) => {
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, user.split('@')[0]!, 'muc-password', 'e2e', d.domain);
    clients.push(c);
    await c.send(xml('presence'));
    return c;
  };
  try {
    const a = await on(first, alice);
    await a.send(xml('presence', { to: `${room}/Alice` }, xml('x', { xmlns: MUC })));
    const created = await a.waitFor('alice in the new room', selfPresence(`${room}/Alice`));
    assert.deepEqual(codes(created).sort(), ['110', '170', '201'], '170: rooms are archived by default (muc.defaultEnableLogging)');
    const cfg = await a.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: OWNER }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }))));
    assert.equal(cfg.attrs.type, 'result');
    await a.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: ADMIN }, xml('item', { jid: bob, affiliation: 'admin' }))));
    await a.send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, 'e2e subject')));

    const dv = await on(last, dave);
    await dv.send(xml('presence', { to: `${room}/dave` }, xml('x', { xmlns: MUC })));
    await dv.waitFor('dave in', selfPresence(`${room}/dave`));

    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const slix = slixmppScript('slix_muc.py', [
      ...['--jid', `${bob}/slix`, '--password', 'muc-password', '--host', last.host, '--port', String(last.c2sPort), '--ca', join(caDir, 'ca.pem')],
      ...['--room', room, '--nick', 'bob', '--new-nick', 'bobby', '--send-body', 'hello from slixmpp', '--expect-body', 'hello from xmpp.js', '--kick', 'dave'],
    ]);
    // slixmpp failing ends the wait at once, with its report
    const slixFailed = slix.then((r) => (r.code === 0 ? new Promise<never>(() => {}) : Promise.reject(new Error(`slixmpp: ${r.stdout}${r.stderr}`))));
    const fromBob = await Promise.race([a.waitFor('bob talks', isMessageWithBody('hello from slixmpp'), 30_000), slixFailed]);
    assert.equal(fromBob.attrs.from, `${room}/bob`);
    assert.ok(fromBob.getChild('occupant-id', 'urn:xmpp:occupant-id:0'));
    await a.send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, 'hello from xmpp.js')));
    const kicked = await dv.waitFor('dave kicked', (s) => s.is('presence') && s.attrs.type === 'unavailable' && codes(s).includes('307'), 30_000);
    assert.ok(codes(kicked).includes('110'));
    const res = await slix;
    assert.equal(res.code, 0, `slixmpp: ${res.stdout}${res.stderr}`);
    const out = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { steps: string[]; expected_from: string };
    assert.deepEqual(out.steps, ['joined with 3 occupants', 'sent', 'renamed', 'kicked dave']);
    assert.equal(out.expected_from, `${room}/Alice`);
    await a.waitFor('bob renamed', (s) => s.is('presence') && s.attrs.from === `${room}/bobby`);

    const c = await on(first, carol);
    await c.send(xml('presence', { to: `${room}/carol` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '10' }))));
    const subject = await c.waitFor('the subject', (s) => s.is('message') && s.getChild('subject') !== undefined);
    assert.equal(subject.getChildText('subject'), 'e2e subject');
    const history = c.stanzas.filter((s) => s.is('message') && s.getChildText('body'));
    assert.deepEqual(
      history.map((s) => s.getChildText('body')),
      ['hello from slixmpp', 'hello from xmpp.js'],
    );
    assert.ok(history.every((s) => s.getChild('delay', 'urn:xmpp:delay')?.attrs.from === room));
    // the room archive (XEP-0313 on the room) holds both messages under the ids the occupants got
    const mam = await c.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'r1' })));
    assert.equal(mam.getChild('fin', 'urn:xmpp:mam:2')?.getChild('set', 'http://jabber.org/protocol/rsm')?.getChildText('count'), '2');
    const ping = await c.iq(xml('iq', { type: 'get', to: `${room}/carol` }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    assert.equal(ping.attrs.type, 'result');
    await a.iq(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: ADMIN }, xml('item', { nick: 'carol', role: 'none' }))));
    await c.waitFor('carol kicked', (s) => s.is('presence') && s.attrs.type === 'unavailable' && codes(s).includes('307'));

    const list = await a.iq(xml('iq', { type: 'get', to: service }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    const jids = list
      .getChild('query')!
      .getChildren('item')
      .map((i: XmppElement) => i.attrs.jid as string);
    assert.ok(jids.includes(room), `public room list: ${String(list)}`);
    const items = await a.iq(xml('iq', { type: 'get', to: d.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#items' })));
    assert.ok(
      items
        .getChild('query')!
        .getChildren('item')
        .some((i: XmppElement) => i.attrs.jid === service),
      'the server lists the muc service (XEP-0045 §6.1)',
    );
  } finally {
    await Promise.all(clients.map((c) => c.stop()));
  }
}
