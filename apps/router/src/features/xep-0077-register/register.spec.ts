import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeFrame, subjects } from '#libs/bus';
import type { ScramCredential } from '#libs/storage';
import { parseElement, xml, type Element } from '#libs/xml';
import { configSchema } from '#libs/config';
import { waitFor } from '#libs/testing';
import { DOMAIN, RouterHarness, errorCondition, type FakeEdge } from '../../testing/router-harness.js';

const REGISTER = 'jabber:iq:register';
const LIMITS = configSchema.parse({}).edge.limits;

/** Whether `cred` verifies `password` (RFC 5802 §3: StoredKey = H(HMAC(SaltedPassword, "Client Key"))). */
function verifies(cred: ScramCredential, password: string, hash: 'sha1' | 'sha256'): boolean {
  const salted = pbkdf2Sync(password, Buffer.from(cred.salt, 'base64'), cred.iterations, hash === 'sha1' ? 20 : 32, hash);
  const clientKey = createHmac(hash, salted).update('Client Key').digest();
  return createHash(hash).update(clientKey).digest('base64') === cred.storedKey;
}

/** Everything the router sends an edge, deliveries and control frames, in the order it sent them. */
function recordEdge(
  h: RouterHarness,
  edgeId: string,
): Array<{ kind: 'stanza'; sessionId: string; el: Element } | { kind: 'close'; sessionId: string; condition: string }> {
  const log: ReturnType<typeof recordEdge> = [];
  h.bus.subscribe(subjects.edgeDeliver(edgeId), (msg) => {
    const s = decodeFrame(msg.data).stanza;
    if (s?.target) log.push({ kind: 'stanza', sessionId: s.target.sessionId, el: parseElement(Buffer.from(s.xml).toString('utf8'), LIMITS) });
  });
  h.bus.subscribe(subjects.edgeControl(edgeId), (msg) => {
    const c = decodeFrame(msg.data).control;
    if (c?.kind === 'CLOSE_SESSION') log.push({ kind: 'close', sessionId: c.sessionId ?? '', condition: c.condition ?? '' });
  });
  return log;
}

describe('XEP-0077 account management after login', () => {
  let h: RouterHarness;
  let edge: FakeEdge;
  let log: ReturnType<typeof recordEdge>;
  before(async () => {
    h = await RouterHarness.start();
    edge = h.edge();
    log = recordEdge(h, 'edge-1');
  });
  after(() => h.close());

  test('disco#info of the server advertises jabber:iq:register; a get says <registered/> with the username', async () => {
    const alice = await h.createUser('alice');
    const a = await edge.bind(`${alice}/pc`);
    const info = await edge.ask(a, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    assert.ok(
      info
        .getChild('query')!
        .getChildren('feature')
        .some((f) => f.attrs.var === REGISTER),
    );
    const r = await edge.ask(a, xml('iq', { to: DOMAIN, type: 'get' }, xml('query', { xmlns: REGISTER })));
    assert.equal(r.attrs.type, 'result');
    const q = r.getChild('query', REGISTER)!;
    assert.ok(q.getChild('registered'));
    assert.equal(q.getChildText('username'), 'alice');
    assert.equal(q.getChildText('password'), '');
  });

  test('§3.3 password change: stored as new SCRAM hashes only; the other sessions end with <reset/>, the asking one stays; FAST tokens go', async () => {
    const bob = await h.createUser('bob');
    const pc = await edge.bind(`${bob}/pc`);
    const phone = await edge.bind(`${bob}/phone`);
    const token = { key: 'a2V5', mechanism: 'HT-SHA-256-NONE', issuedAt: new Date(), expiresAt: new Date(Date.now() + 60_000), count: 0 };
    await h.storage.fastTokens.issue(`bob@${DOMAIN}`, 'phone-client', token, 10, new Date());
    const before = log.length;
    const r = await edge.ask(
      pc,
      xml('iq', { to: DOMAIN, type: 'set' }, xml('query', { xmlns: REGISTER }, xml('username', {}, 'Bob'), xml('password', {}, 'n3w secret'))),
    );
    assert.equal(r.attrs.type, 'result');
    const account = (await h.storage.accounts.get('bob', DOMAIN))!;
    assert.ok(verifies(account.scram['SHA-256'], 'n3w secret', 'sha256'));
    assert.ok(verifies(account.scram['SHA-1'], 'n3w secret', 'sha1'));
    assert.ok(!JSON.stringify(account).includes('n3w secret'));
    const closes = log.slice(before).filter((e) => e.kind === 'close');
    assert.deepEqual(closes, [{ kind: 'close', sessionId: phone.sessionId, condition: 'reset' }]);
    assert.deepEqual(await h.storage.fastTokens.list(`bob@${DOMAIN}`), [], 'XEP-0484 tokens issued on the old password are revoked');
  });

  test("refused changes keep the password: empty, someone else's username, someone else's account, <remove/> with more", async () => {
    const carol = await h.createUser('carol');
    const dave = await h.createUser('dave');
    const c = await edge.bind(`${carol}/pc`);
    const stored = (await h.storage.accounts.get('carol', DOMAIN))!.scram;
    const set = (attrs: Record<string, string>, ...children: Element[]) =>
      edge.ask(c, xml('iq', { type: 'set', ...attrs }, xml('query', { xmlns: REGISTER }, ...children)));
    assert.equal(errorCondition(await set({ to: DOMAIN }, xml('username', {}, 'carol'), xml('password'))), 'bad-request');
    assert.equal(errorCondition(await set({ to: DOMAIN }, xml('username', {}, 'dave'), xml('password', {}, 'x'))), 'bad-request');
    // someone else's account: an own-only namespace there is answered by the addressing table
    assert.equal(errorCondition(await set({ to: dave }, xml('password', {}, 'x'))), 'service-unavailable');
    assert.equal(errorCondition(await set({ to: DOMAIN }, xml('password', {}, 'x'.repeat(1024)))), 'not-acceptable');
    assert.equal(errorCondition(await set({ to: DOMAIN }, xml('remove'), xml('username', {}, 'carol'))), 'bad-request');
    assert.deepEqual((await h.storage.accounts.get('carol', DOMAIN))!.scram, stored);
    assert.ok(await h.storage.accounts.get('carol', DOMAIN));
    // without `to` (XEP-0077 §3.2: the home server, on the sender's own account)
    assert.equal((await set({}, xml('password', {}, 'another'))).attrs.type, 'result');
    assert.ok(verifies((await h.storage.accounts.get('carol', DOMAIN))!.scram['SHA-256'], 'another', 'sha256'));
  });

  test('§3.2 removal: subscriptions cancelled through presence, data deleted (caches forget its blocklist), result first, then <not-authorized/> to every session', async () => {
    const erin = await h.createUser('erin');
    const s = h.storage;
    const item = (jid: string, subscription: 'none' | 'to' | 'from' | 'both', askOut = false, askIn = false) =>
      s.rosters.modify(erin, jid, () => ({ jid, subscription, askOut, askIn, approved: false, groups: [] }));
    await item(`frank@${DOMAIN}`, 'both');
    await item(`gina@${DOMAIN}`, 'none', true);
    await item(`hugo@${DOMAIN}`, 'from');
    await item(`ida@${DOMAIN}`, 'none');
    await s.vcards.set(erin, '<vCard xmlns="vcard-temp"><FN>Erin</FN></vCard>');
    await s.privateXml.set(erin, 'storage', 'storage:bookmarks', '<storage xmlns="storage:bookmarks"/>');
    await s.offline.push(erin, '<message/>', 100);
    await s.lastActivity.set(erin, { at: new Date(), status: '' });
    const pc = await edge.bind(`${erin}/pc`);
    const phone = await edge.bind(`${erin}/phone`);
    h.toPresence.length = 0;
    const before = log.length;
    const blocklists: string[] = [];
    h.bus.subscribe(subjects.blocklistChanged(), (m) => void blocklists.push(Buffer.from(m.data).toString('utf8')));

    const r = await edge.ask(pc, xml('iq', { type: 'set', id: 'unreg1' }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(r.attrs.type, 'result');
    assert.deepEqual(blocklists, [erin], 'every blocklist cache forgets the removed account’s list');

    const sent = h.toPresence.map((f) => `${f.stanza!.type} ${f.stanza!.to} ${f.stanza!.from}`).sort();
    assert.deepEqual(sent, [
      `unsubscribe frank@${DOMAIN} ${pc.jid}`,
      `unsubscribe gina@${DOMAIN} ${pc.jid}`,
      `unsubscribed frank@${DOMAIN} ${pc.jid}`,
      `unsubscribed hugo@${DOMAIN} ${pc.jid}`,
    ]);
    assert.ok(h.toPresence.every((f) => f.stanza!.origin?.sessionId === pc.sessionId));
    assert.equal(await s.accounts.get('erin', DOMAIN), undefined);
    assert.equal((await s.rosters.get(erin)).items.length, 0);
    assert.equal(await s.vcards.get(erin), undefined);
    assert.equal(await s.privateXml.get(erin, 'storage', 'storage:bookmarks'), undefined);
    assert.equal(await s.offline.count(erin), 0);
    assert.equal(await s.lastActivity.get(erin), undefined);

    await waitFor(() => log.slice(before).filter((e) => e.kind === 'close').length === 2, { what: 'two CLOSE_SESSION', timeoutMs: 5000 });
    const after = log.slice(before);
    const resultAt = after.findIndex((e) => e.kind === 'stanza' && e.el.attrs.id === 'unreg1');
    const closes = after.flatMap((e, i) => (e.kind === 'close' ? [{ i, sessionId: e.sessionId, condition: e.condition }] : []));
    assert.deepEqual(
      closes.map((c) => c.condition),
      ['not-authorized', 'not-authorized'],
    );
    assert.deepEqual(closes.map((c) => c.sessionId).sort(), [pc.sessionId, phone.sessionId].sort());
    assert.ok(
      closes.every((c) => c.i > resultAt),
      'the IQ result goes before the stream errors',
    );

    // the account is gone: a second removal (from a session that lingers) is refused
    const again = await edge.ask(phone, xml('iq', { type: 'set' }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(errorCondition(again), 'registration-required');
  });
});

describe('XEP-0077 account management switched off', () => {
  let h: RouterHarness;
  before(async () => {
    h = await RouterHarness.start({ config: { features: { register: { passwordChange: false, remove: false } } } });
  });
  after(() => h.close());

  test('password change and removal answer <not-allowed/> and change nothing', async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice');
    const a = await edge.bind(`${alice}/pc`);
    const stored = (await h.storage.accounts.get('alice', DOMAIN))!;
    const change = await edge.ask(
      a,
      xml('iq', { to: DOMAIN, type: 'set' }, xml('query', { xmlns: REGISTER }, xml('username', {}, 'alice'), xml('password', {}, 'x'))),
    );
    assert.equal(errorCondition(change), 'not-allowed');
    const remove = await edge.ask(a, xml('iq', { to: DOMAIN, type: 'set' }, xml('query', { xmlns: REGISTER }, xml('remove'))));
    assert.equal(errorCondition(remove), 'not-allowed');
    assert.deepEqual(await h.storage.accounts.get('alice', DOMAIN), stored);
  });
});

describe('XEP-0077 on a directory domain (docs/directory.md)', () => {
  let h: RouterHarness;
  before(async () => {
    const ldap = { url: 'ldaps://ldap.example.test', userDnPattern: 'uid={username},ou=people,dc=example,dc=test' };
    h = await RouterHarness.start({ config: { directory: { domains: { [DOMAIN]: { ldap } } } } });
  });
  after(() => h.close());

  test("a password change answers <not-allowed/>: the password is the directory's", async () => {
    const edge = h.edge();
    const alice = await h.createUser('alice');
    const a = await edge.bind(`${alice}/pc`);
    const stored = (await h.storage.accounts.get('alice', DOMAIN))!;
    const change = await edge.ask(
      a,
      xml('iq', { to: DOMAIN, type: 'set' }, xml('query', { xmlns: REGISTER }, xml('username', {}, 'alice'), xml('password', {}, 'x'))),
    );
    assert.equal(errorCondition(change), 'not-allowed');
    assert.deepEqual(await h.storage.accounts.get('alice', DOMAIN), stored);
  });
});
