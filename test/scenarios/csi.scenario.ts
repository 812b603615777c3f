import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmpp } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const CSI = 'urn:xmpp:csi:0';

/**
 * XEP-0352 with xmpp.js: alice's phone says it is inactive; bob's presence changes and chat state
 * are held for it (its pc, active, sees them at once), collapsed to bob's latest presence, and
 * written — in order — as soon as bob's message with a body comes. Then <active/> flushes at once.
 * slixmpp's xep_0352 plugin (which sends <inactive/> only when the server offered <csi/>) sees the
 * same: bob's superseded presence never arrives, his latest does, with the message.
 */
export async function csiScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const alice = `alice-csi-${tag}@${d.domain}`;
  const bob = `bob-csi-${tag}@${d.domain}`;
  await addUser(alice, 'alice-password', d.adminPort);
  await addUser(bob, 'bob-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  const on = async (e: typeof first, user: string, password: string, resource: string) => {
    const c = await connect(`xmpp://${e.host}:${e.c2sPort}`, user.split('@')[0]!, password, resource);
    clients.push(c);
    return c;
  };
  try {
    const phone = await on(last, alice, 'alice-password', 'phone');
    const pc = await on(first, alice, 'alice-password', 'pc');
    const laptop = await on(first, bob, 'bob-password', 'laptop');
    for (const c of [phone, pc, laptop]) await c.send(xml('presence'));
    // Mutual subscription, so bob's presence reaches both of alice's resources.
    await pc.send(xml('presence', { to: bob, type: 'subscribe' }));
    await laptop.waitFor('subscribe', isPresence(alice, 'subscribe'));
    await laptop.send(xml('presence', { to: alice, type: 'subscribed' }));
    await laptop.send(xml('presence', { to: alice, type: 'subscribe' }));
    await pc.waitFor('subscribe', isPresence(bob, 'subscribe'));
    await pc.send(xml('presence', { to: bob, type: 'subscribed' }));
    await phone.waitFor("bob's presence", (s) => s.is('presence') && s.attrs.from === laptop.jid && !s.attrs.type);

    await phone.send(xml('inactive', { xmlns: CSI }));
    // In-order processing (§4.1): once this is answered, the phone is inactive.
    await phone.iq(xml('iq', { type: 'get', to: d.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const mark = phone.stanzas.length;
    const shows = ['away', 'xa', 'dnd'];
    for (const show of shows) await laptop.send(xml('presence', {}, xml('show', {}, show)));
    await laptop.send(xml('message', { to: alice, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    const showOf = (s: XmppElement) => (s.is('presence') && s.attrs.from === laptop.jid ? s.getChildText('show') : undefined);
    await pc.waitFor('the composing state (the active pc gets everything)', (s) => s.is('message') && !!s.getChild('composing'));
    assert.ok(pc.stanzas.some((s) => showOf(s) === 'dnd'));
    assert.deepEqual(phone.stanzas.slice(mark).map(String), [], 'the inactive phone got nothing yet');

    await laptop.send(xml('message', { to: phone.jid, type: 'chat' }, xml('body', {}, 'wake up')));
    await phone.waitFor('the message with a body', isMessageWithBody('wake up'));
    const got = phone.stanzas.slice(mark);
    const summary = got.map((s) => (s.is('presence') ? `presence ${showOf(s)}` : s.getChild('composing') ? 'composing' : `message ${s.getChildText('body')}`));
    assert.deepEqual(summary, ['presence dnd', 'composing', 'message wake up'], "bob's latest presence only, in order, before the message");

    // <active/>: what is held is written before the next answer.
    await phone.send(xml('inactive', { xmlns: CSI }));
    await laptop.send(xml('presence', {}, xml('show', {}, 'chat')));
    await pc.waitFor('show chat', (s) => showOf(s) === 'chat');
    await phone.send(xml('active', { xmlns: CSI }));
    await phone.waitFor('show chat after <active/>', (s) => showOf(s) === 'chat');

    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const slix = slixmpp(
      ['--jid', `${alice}/slix`, '--password', 'alice-password', '--port', String(last.c2sPort), '--ca', join(caDir, 'ca.pem'), '--csi-inactive'].concat([
        '--send-to',
        pc.jid,
        '--send-body',
        'slix is inactive',
        '--expect-body',
        'wake slix',
      ]),
    );
    await pc.waitFor('slixmpp inactive', isMessageWithBody('slix is inactive'));
    await laptop.send(xml('presence', {}, xml('show', {}, 'away')));
    await laptop.send(xml('presence', {}, xml('show', {}, 'xa')));
    await pc.waitFor('show xa', (s) => showOf(s) === 'xa');
    await laptop.send(xml('message', { to: `${alice}/slix`, type: 'chat' }, xml('body', {}, 'wake slix')));
    const res = await slix;
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const { events } = JSON.parse(res.stdout.trim().split('\n').pop()!) as { events: string[] };
    const fromBob = `presence ${laptop.jid}`;
    assert.ok(!events.includes(`${fromBob} away`), `superseded presence written: ${events.join('; ')}`);
    const xa = events.indexOf(`${fromBob} xa`);
    assert.ok(xa >= 0 && xa < events.indexOf('message wake slix'), `latest presence before the message: ${events.join('; ')}`);
  } finally {
    for (const c of clients) await c.stop();
  }
}
