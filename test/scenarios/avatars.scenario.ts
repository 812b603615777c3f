import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slixmppScript } from '../harness/external-clients.js';
import { addUser } from '../harness/gliderctl.js';
import type { Deployment } from '../harness/standalone.js';
import { connect, trustCertificate, xml, type TestClient, type XmppElement } from '../harness/xmpp-client.js';
import { announceCaps } from './pep-data.scenario.js';

const VCARD = 'vcard-temp';
const UPDATE = 'vcard-temp:x:update';

/** A PNG header (signature and IHDR, 48×48) and some bytes: a distinct image per tag. */
export function fakePng(tag: string): Buffer {
  const b = Buffer.alloc(64);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(48, 16);
  b.writeUInt32BE(48, 20);
  b.write(`glider-${tag}`, 30, 'latin1');
  return b;
}
export const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');
const photoOf = (s: XmppElement) => s.getChild('x', UPDATE)?.getChildText('photo');

/** Two accounts subscribed to each other, each with one xmpp.js resource online. */
async function friends(d: Deployment, tag: string, clients: TestClient[]): Promise<{ alice: string; bob: string; a: TestClient; b: TestClient }> {
  const alice = `alice-av-${tag}@${d.domain}`;
  const bob = `bob-av-${tag}@${d.domain}`;
  await addUser(alice, 'alice-password', d.adminPort);
  await addUser(bob, 'bob-password', d.adminPort);
  const first = d.edges[0]!;
  const last = d.edges[d.edges.length - 1]!;
  const a = await connect(`xmpp://${first.host}:${first.c2sPort}`, alice.split('@')[0]!, 'alice-password', 'pc');
  clients.push(a);
  const b = await connect(`xmpp://${last.host}:${last.c2sPort}`, bob.split('@')[0]!, 'bob-password', 'pc');
  clients.push(b);
  for (const c of [a, b]) await c.send(xml('presence'));
  await b.send(xml('presence', { to: alice, type: 'subscribe' }));
  await a.waitFor('bob asks', (s) => s.is('presence') && s.attrs.type === 'subscribe');
  await a.send(xml('presence', { to: bob, type: 'subscribed' }));
  await a.send(xml('presence', { to: bob, type: 'subscribe' }));
  await b.waitFor('alice asks', (s) => s.is('presence') && s.attrs.type === 'subscribe');
  await b.send(xml('presence', { to: alice, type: 'subscribed' }));
  await a.waitFor('bob available', (s) => s.is('presence') && s.attrs.from === b.jid && !s.attrs.type);
  return { alice, bob, a, b };
}

export async function slixAvatar(d: Deployment, args: string[]): Promise<{ ok: boolean; hash?: string; error?: string }> {
  const caDir = mkdtempSync(join(tmpdir(), 'glider-ca-'));
  writeFileSync(join(caDir, 'ca.pem'), d.certPem());
  const res = await slixmppScript('slix_avatar.py', [...args, '--port', String(d.edges[0]!.c2sPort), '--ca', join(caDir, 'ca.pem')]);
  const last = res.stdout.trim().split('\n').pop() ?? '';
  assert.ok(last.startsWith('{'), `slix_avatar.py printed no result: ${res.stdout}${res.stderr}`);
  return JSON.parse(last) as { ok: boolean; hash?: string; error?: string };
}

/**
 * XEP-0153 with XEP-0398 §4: alice (xmpp.js) stores a vCard with a PHOTO and sends a bare presence;
 * bob's xmpp.js sees the image's SHA-1 in it, and slixmpp's xep_0153 (logging in later, so through
 * the server's answer to its probe) reports the same hash; slixmpp's xep_0054 reads the photo back.
 */
export async function vcardAvatarScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const clients: TestClient[] = [];
  try {
    const { alice, bob, a, b } = await friends(d, tag, clients);
    const image = fakePng(`vcard-${tag}`);
    const photo = xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, image.toString('base64')));
    await a.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Alice'), photo)));
    const mark = b.stanzas.length;
    await a.send(xml('presence', {}, xml('status', {}, 'with avatar')));
    const seen = await b.waitFor(
      'alice’s presence after the vCard',
      (s) => b.stanzas.indexOf(s) >= mark && s.is('presence') && s.getChildText('status') === 'with avatar',
    );
    assert.equal(photoOf(seen), sha1(image), 'the server put the hash into a presence that had none');

    const watched = await slixAvatar(d, ['--jid', `${bob}/slix`, '--password', 'bob-password', '--mode', 'watch', '--contact', alice]);
    assert.deepEqual(watched, { ok: true, hash: sha1(image) });
    const read = await slixAvatar(d, ['--jid', `${bob}/slix2`, '--password', 'bob-password', '--mode', 'vcard-get', '--contact', alice]);
    assert.deepEqual(read, { ok: true, hash: sha1(image) });
  } finally {
    for (const c of clients) await c.stop();
  }
}

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const itemsOf = async (c: TestClient, owner: string, node: string) =>
  (await c.iq(xml('iq', { type: 'get', to: owner }, xml('pubsub', { xmlns: PUBSUB }, xml('items', { node })))))
    .getChild('pubsub')!
    .getChild('items')!
    .getChildren('item');

/**
 * XEP-0398 with real clients, both ways: slixmpp's xep_0084 publishes alice's avatar (data, then
 * metadata) and xmpp.js reads it back from her vCard (PHOTO with the same SHA-1) and from her next
 * presence; xmpp.js sets a vCard with another photo and bob reads alice's avatar nodes (XEP-0084
 * data and metadata, the metadata naming the new hash). The account advertises the conversion.
 */
export async function avatarConversionScenario(d: Deployment, tag: string): Promise<void> {
  trustCertificate(d.certPem());
  const clients: TestClient[] = [];
  try {
    const { alice, a, b } = await friends(d, `conv-${tag}`, clients);
    const info = await a.iq(xml('iq', { type: 'get', to: alice }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      info
        .getChild('query')!
        .getChildren('feature')
        .some((f) => f.attrs.var === 'urn:xmpp:pep-vcard-conversion:0'),
      info.toString(),
    );

    // PEP → vCard (§3.1): slixmpp publishes a XEP-0084 avatar.
    const image = fakePng(`pep-${tag}`);
    const dir = mkdtempSync(join(tmpdir(), 'glider-avatar-'));
    writeFileSync(join(dir, 'avatar.png'), image);
    const published = await slixAvatar(d, ['--jid', `${alice}/slix`, '--password', 'alice-password', '--mode', 'publish', '--image', join(dir, 'avatar.png')]);
    assert.deepEqual(published, { ok: true, hash: sha1(image) });
    const vcard = (await b.iq(xml('iq', { type: 'get', to: alice }, xml('vCard', { xmlns: VCARD })))).getChild('vCard', VCARD)!;
    assert.equal(vcard.getChild('PHOTO')?.getChildText('TYPE'), 'image/png');
    assert.equal(sha1(Buffer.from(vcard.getChild('PHOTO')!.getChildText('BINVAL')!, 'base64')), sha1(image));
    assert.ok(!vcard.getChild('FN'), 'no other field was invented');
    const mark = b.stanzas.length;
    await a.send(xml('presence', {}, xml('status', {}, 'new avatar')));
    const seen = await b.waitFor(
      'alice’s presence after the PEP avatar',
      (s) => b.stanzas.indexOf(s) >= mark && s.is('presence') && s.getChildText('status') === 'new avatar',
    );
    assert.equal(photoOf(seen), sha1(image));

    // vCard → PEP (§3.2): xmpp.js stores a vCard with another photo; bob, whose caps want avatar
    // metadata, is notified (§3.2: SHOULD notify) and reads alice's avatar nodes.
    await announceCaps(b, ['urn:xmpp:avatar:metadata+notify']);
    const second = fakePng(`vcard-${tag}`);
    const photo = xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, second.toString('base64')));
    await a.iq(xml('iq', { type: 'set' }, xml('vCard', { xmlns: VCARD }, xml('FN', {}, 'Alice'), photo)));
    await b.waitFor(
      'the metadata notification',
      (s) =>
        s.is('message') &&
        s.attrs.from === alice &&
        s.getChild('event', 'http://jabber.org/protocol/pubsub#event')?.getChild('items')?.getChild('item')?.attrs.id === sha1(second),
    );
    const [meta] = await itemsOf(b, alice, 'urn:xmpp:avatar:metadata');
    const infoEl = meta?.getChild('metadata', 'urn:xmpp:avatar:metadata')?.getChild('info');
    assert.equal(meta?.attrs.id, sha1(second));
    assert.deepEqual(infoEl?.attrs, { bytes: String(second.length), id: sha1(second), type: 'image/png', width: '48', height: '48' });
    const data = await b.iq(
      xml(
        'iq',
        { type: 'get', to: alice },
        xml('pubsub', { xmlns: PUBSUB }, xml('items', { node: 'urn:xmpp:avatar:data' }, xml('item', { id: sha1(second) }))),
      ),
    );
    const base64 = data.getChild('pubsub')!.getChild('items')!.getChild('item')!.getChildText('data', 'urn:xmpp:avatar:data')!;
    assert.equal(sha1(Buffer.from(base64, 'base64')), sha1(second));
  } finally {
    for (const c of clients) await c.stop();
  }
}
