import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmppScript } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, isMessageWithBody, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';

const BLOCKING = 'urn:xmpp:blocking';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

const isPush = (command: 'block' | 'unblock', jids: string[]) => (s: XmppElement) => {
  const c = s.is('iq') && s.attrs.type === 'set' ? s.getChild(command, BLOCKING) : undefined;
  return c !== undefined && JSON.stringify(c.getChildren('item').map((i) => i.attrs.jid)) === JSON.stringify(jids);
};
const presenceFrom = (from: string, type?: string) => (s: XmppElement) => s.is('presence') && s.attrs.from === from && s.attrs.type === type;
const errorOf = (s: XmppElement) => s.getChild('error')?.children.find((c) => typeof c !== 'string' && c.attrs.xmlns === STANZAS) as XmppElement | undefined;

async function iqError(c: TestClient, payload: XmppElement): Promise<string> {
  try {
    await c.iq(xml('iq', { type: 'set' }, payload));
  } catch (err) {
    // xmpp.js rejects with a StanzaError carrying the condition
    return (err as { condition?: string }).condition ?? String(err);
  }
  return 'result';
}

async function list(c: TestClient): Promise<string[]> {
  const r = await c.iq(xml('iq', { type: 'get' }, xml('blocklist', { xmlns: BLOCKING })));
  return r
    .getChild('blocklist', BLOCKING)!
    .getChildren('item')
    .map((i) => i.attrs.jid as string);
}

/**
 * XEP-0191 with real clients: alice (two xmpp.js resources) blocks bob, who is subscribed to her
 * presence (§3.3: bob sees her go offline; the other resource gets the push; bob's message bounces
 * with <service-unavailable/>; hers to bob with <not-acceptable/><blocked/>), bad input, unblock
 * (§3.4: bob sees her again and can write), unblock-all (§3.5); slixmpp's xep_0191 plugin blocks,
 * lists and unblocks.
 */
export async function blockingScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const alice = `alice-block-${tag}@${d.domain}`;
  const bob = `bob-block-${tag}@${d.domain}`;
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
    const pc = await on(first, alice, 'alice-password', 'pc');
    const phone = await on(last, alice, 'alice-password', 'phone');
    const laptop = await on(last, bob, 'bob-password', 'laptop');
    // disco#info of the server advertises the feature (§3.1)
    const info = await pc.iq(xml('iq', { type: 'get', to: d.domain }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      info
        .getChild('query')!
        .getChildren('feature')
        .some((f) => f.attrs.var === BLOCKING),
      'urn:xmpp:blocking in disco#info',
    );
    // §3.2: both resources ask for the list (so both get pushes); empty at first.
    assert.deepEqual(await list(pc), []);
    assert.deepEqual(await list(phone), []);
    for (const c of [pc, phone, laptop]) await c.send(xml('presence'));
    // bob subscribes to alice's presence; alice approves, so bob sees her resources.
    await laptop.send(xml('presence', { to: alice, type: 'subscribe' }));
    await pc.waitFor('bob’s subscription request', presenceFrom(bob, 'subscribe'));
    await pc.send(xml('presence', { to: bob, type: 'subscribed' }));
    await laptop.waitFor('alice/pc available', presenceFrom(pc.jid, undefined));
    await laptop.waitFor('alice/phone available', presenceFrom(phone.jid, undefined));

    // Every router on the way now holds alice's (empty) list in its cache: the block must reach it.
    await laptop.send(xml('message', { to: pc.jid, type: 'chat' }, xml('body', {}, 'before the block')));
    await pc.waitFor('bob’s message before the block', isMessageWithBody('before the block'));
    await pc.send(xml('message', { to: bob, type: 'chat' }, xml('body', {}, 'alice before the block')));
    await laptop.waitFor('alice’s message before the block', isMessageWithBody('alice before the block'));

    // §3.3 block: result, push to the other resource (and the requester), bob sees alice go offline.
    assert.equal((await pc.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: BLOCKING }, xml('item', { jid: bob }))))).attrs.type, 'result');
    await phone.waitFor('the block push', isPush('block', [bob]));
    await pc.waitFor('the block push on the requester', isPush('block', [bob]));
    await laptop.waitFor('alice/pc unavailable', presenceFrom(pc.jid, 'unavailable'));
    await laptop.waitFor('alice/phone unavailable', presenceFrom(phone.jid, 'unavailable'));
    assert.deepEqual(await list(phone), [bob]);

    // §3.5 inbound: bob's message is not delivered; bob learns <service-unavailable/> (the block is not revealed).
    await laptop.send(xml('message', { to: alice, type: 'chat', id: 'blocked-1' }, xml('body', {}, 'while blocked')));
    const bounced = await laptop.waitFor('the bounce', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'blocked-1');
    assert.equal(errorOf(bounced)?.name, 'service-unavailable');
    assert.equal(bounced.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors'), undefined);
    // an IQ get from bob to alice's resource: <service-unavailable/> too
    assert.equal(await versionError(laptop, pc.jid), 'service-unavailable');
    // §3.5 outbound: alice's message to bob is refused with <not-acceptable/> and <blocked/>.
    await pc.send(xml('message', { to: bob, type: 'chat', id: 'to-blocked' }, xml('body', {}, 'to a blocked contact')));
    const refused = await pc.waitFor('the refusal', (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'to-blocked');
    assert.equal(errorOf(refused)?.name, 'not-acceptable');
    assert.ok(refused.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors'), '<blocked/> application condition');

    // Bad input: an empty block, a malformed JID, an unknown element; nothing changes.
    assert.equal(await iqError(pc, xml('block', { xmlns: BLOCKING })), 'bad-request');
    assert.equal(await iqError(pc, xml('block', { xmlns: BLOCKING }, xml('item', { jid: 'a@@b' }))), 'jid-malformed');
    assert.equal(await iqError(pc, xml('block', { xmlns: BLOCKING }, xml('item', {}))), 'bad-request');
    assert.equal(await iqError(pc, xml('blocklist', { xmlns: BLOCKING })), 'bad-request');
    assert.deepEqual(await list(pc), [bob]);

    // §3.4 unblock: push, bob sees alice again, and his message arrives.
    assert.equal((await pc.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: BLOCKING }, xml('item', { jid: bob }))))).attrs.type, 'result');
    await phone.waitFor('the unblock push', isPush('unblock', [bob]));
    const before = laptop.stanzas.length;
    await laptop.waitFor('alice available again', (s) => laptop.stanzas.indexOf(s) >= before && presenceFrom(phone.jid, undefined)(s));
    await laptop.send(xml('message', { to: pc.jid, type: 'chat' }, xml('body', {}, 'after unblock')));
    await pc.waitFor('bob’s message after the unblock', isMessageWithBody('after unblock'));
    assert.equal(pc.stanzas.filter(isMessageWithBody('while blocked')).length + phone.stanzas.filter(isMessageWithBody('while blocked')).length, 0);

    // §3.5 unblock all: a domain and a bare JID, then an empty <unblock/>.
    await pc.iq(xml('iq', { type: 'set' }, xml('block', { xmlns: BLOCKING }, xml('item', { jid: 'spam.example' }), xml('item', { jid: 'x@spam.example' }))));
    assert.deepEqual(await list(pc), ['spam.example', 'x@spam.example']);
    await pc.iq(xml('iq', { type: 'set' }, xml('unblock', { xmlns: BLOCKING })));
    await phone.waitFor('the unblock-all push', isPush('unblock', []));
    assert.deepEqual(await list(pc), []);

    // slixmpp's xep_0191 plugin: block, list, unblock.
    const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
    writeFileSync(join(caDir, 'ca.pem'), d.certPem());
    const res = await slixmppScript('slix_block.py', [
      '--jid',
      `${bob}/slix`,
      '--password',
      'bob-password',
      '--port',
      String(first.c2sPort),
      '--ca',
      join(caDir, 'ca.pem'),
      '--block',
      'troll@spam.example',
    ]);
    assert.equal(res.code, 0, res.stdout + res.stderr);
    const got = JSON.parse(res.stdout.trim().split('\n').pop()!) as { before: string[]; blocked: string[]; after: string[] };
    assert.deepEqual(got, { ok: true, before: [], blocked: ['troll@spam.example'], after: [] });
  } finally {
    for (const c of clients) await c.stop();
  }
}

async function versionError(c: TestClient, to: string): Promise<string> {
  try {
    await c.iq(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'jabber:iq:version' })));
  } catch (err) {
    // xmpp.js rejects with a StanzaError carrying the condition
    return (err as { condition?: string }).condition ?? String(err);
  }
  return 'result';
}
