import assert from 'node:assert/strict';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { assertBound, connect, isMessageWithBody, isPresence, trustCertificate, xml, type TestClient } from '../harness/xmpp-client.js';

const ROSTER = 'jabber:iq:roster';

/**
 * What a user does on day one, with real xmpp.js clients: log in over STARTTLS, direct TLS and
 * WebSocket; add each other with the subscription handshake; see presence both ways; chat both
 * ways; get a message sent while offline at the next login. Alice uses the first edge and Bob the
 * last, so on a cluster every stanza crosses edges.
 */
export async function chatScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const alice = `alice-${tag}`;
  const bob = `bob-${tag}`;
  const aliceJid = `${alice}@${d.domain}`;
  const bobJid = `${bob}@${d.domain}`;
  await addUser(aliceJid, 'alice-secret-1', d.adminPort);
  await addUser(bobJid, 'bob-secret-22', d.adminPort);
  const ea = d.edges[0]!;
  const eb = d.edges[d.edges.length - 1]!;
  const clients: TestClient[] = [];
  try {
    const a = await connect(`xmpp://${ea.host}:${ea.c2sPort}`, alice, 'alice-secret-1', 'laptop');
    clients.push(a);
    const b = await connect(`xmpps://${eb.host}:${eb.directTlsPort}`, bob, 'bob-secret-22', 'phone');
    clients.push(b);
    assertBound(a, aliceJid, 'laptop');
    assertBound(b, bobJid, 'phone');

    // Roster add with a push to the interested resource (RFC 6121 §2.1.6, §2.3), then the
    // subscription handshake both ways (§3).
    await a.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const push = a.waitFor('roster push', (s) => s.is('iq') && s.attrs.type === 'set' && !!s.getChild('query', ROSTER));
    await a.iq(xml('iq', { type: 'set' }, xml('query', { xmlns: ROSTER }, xml('item', { jid: bobJid, name: 'Bob' }))));
    await push;
    await a.send(xml('presence'));
    await b.send(xml('presence'));
    await a.send(xml('presence', { to: bobJid, type: 'subscribe' }));
    await b.waitFor('subscribe from alice', isPresence(aliceJid, 'subscribe'));
    await b.send(xml('presence', { to: aliceJid, type: 'subscribed' }));
    await b.send(xml('presence', { to: aliceJid, type: 'subscribe' }));
    await a.waitFor('subscribed from bob', isPresence(bobJid, 'subscribed'));
    await a.waitFor('subscribe from bob', isPresence(bobJid, 'subscribe'));
    await a.send(xml('presence', { to: bobJid, type: 'subscribed' }));

    // Presence seen both ways.
    await a.waitFor("bob's presence", isPresence(bobJid, undefined));
    await b.waitFor("alice's presence", isPresence(aliceJid, undefined));

    // Messages both ways.
    await a.send(xml('message', { to: bobJid, type: 'chat', id: 'm1' }, xml('body', {}, 'hello bob')));
    const m1 = await b.waitFor('message from alice', isMessageWithBody('hello bob'));
    assert.equal(m1.attrs.from, a.jid);
    await b.send(xml('message', { to: m1.attrs.from, type: 'chat', id: 'm2' }, xml('body', {}, 'hello alice')));
    const m2 = await a.waitFor('message from bob', isMessageWithBody('hello alice'));
    assert.equal(m2.attrs.from, b.jid);

    // Offline: Bob leaves; Alice sees it, writes, and Bob gets it at his next login (XEP-0160).
    await b.stop();
    clients.splice(clients.indexOf(b), 1);
    await a.waitFor('bob unavailable', isPresence(bobJid, 'unavailable'));
    await a.send(xml('message', { to: bobJid, type: 'chat', id: 'm3' }, xml('body', {}, 'while you were away')));
    const b2 = await connect(`wss://${eb.host}:${eb.wssPort}/xmpp-websocket`, bob, 'bob-secret-22', 'tablet');
    clients.push(b2);
    await b2.send(xml('presence'));
    const m3 = await b2.waitFor('offline message', isMessageWithBody('while you were away'));
    assert.equal(m3.attrs.from, a.jid);
    assert.ok(m3.getChild('delay', 'urn:xmpp:delay'), 'an offline message carries its delay stamp');

    const roster = await a.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: ROSTER })));
    const item = roster
      .getChild('query', ROSTER)
      ?.getChildren('item')
      .find((i) => i.attrs.jid === bobJid);
    assert.equal(item?.attrs.subscription, 'both');
  } finally {
    for (const c of clients) await c.stop();
  }
}
