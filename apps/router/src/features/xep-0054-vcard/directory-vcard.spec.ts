import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AVATAR_METADATA_NODE, avatarHash, readMetadata, storedAvatarHash } from '#libs/avatars';
import { DirectoryUsers, startTestDirectory, TEST_DIRECTORY_PEOPLE as PEOPLE, type TestDirectory } from '#libs/directory';
import { pino } from 'pino';
import { configSchema } from '#libs/config';
import { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import { waitFor } from '#libs/testing';
import { parseElement, reparseLimits, xml, type Element } from '#libs/xml';
import { routerPep } from '../../core/router-pep.js';
import { RouterHarness, errorCondition } from '../../testing/router-harness.js';
import { syncDirectoryPhoto } from './directory-photo-sync.js';

const V = 'vcard-temp';
const LIMITS = reparseLimits(configSchema.parse({}).edge.limits);
/** A JPEG as far as the magic bytes go (what decides the TYPE). */
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('the rest of a small jpeg')]);
const card = (...children: Element[]) => xml('vCard', { xmlns: V }, ...children);
const field = (v: Element | undefined, path: string) =>
  path
    .split('/')
    .reduce<Element | undefined>((e, n) => e?.getChild(n), v)
    ?.text();

/** vCards filled from directory attributes (docs/directory.md "vCards") against a real slapd. */
describe('XEP-0054 vCards from the directory', () => {
  let dir: TestDirectory;
  let h: RouterHarness;
  let alice: string;
  let bob: string;

  before(async () => {
    dir = await startTestDirectory();
    await dir.slapd.modify(
      `dn: uid=alice,${PEOPLE}\nchangetype: modify\nadd: title\ntitle: Engineer\n-\nadd: telephoneNumber\ntelephoneNumber: +44 20 7946 0000\n-\nadd: jpegPhoto\njpegPhoto:: ${JPEG.toString('base64')}\n`,
    );
    h = await RouterHarness.start({
      config: {
        directory: { domains: { 'example.com': { ldap: dir.ldapConfig(), vcard: { cacheTtlMs: 1_000 } } } },
        features: { pubsub: { enabled: true } },
      },
    });
    alice = await h.createUser('alice');
    bob = await h.createUser('bob');
    await h.createUser('local-only'); // an account the directory does not know
  });
  after(async () => {
    await h?.close();
    await dir?.stop();
  });

  const pepAvatarId = async (owner: string): Promise<string | undefined> => {
    const pep = new PepService({ ...h, delivery: h.routers[0]!.runtime.delivery, logger: pino({ level: 'silent' }) });
    const items = await pep.items(owner, AVATAR_METADATA_NODE, { max: 1 });
    const meta = items instanceof StanzaError || !items[0]?.payload ? undefined : readMetadata(items[0].payload);
    return meta?.kind === 'inline' ? meta.info.id : undefined;
  };
  const storedHash = async (owner: string) => storedAvatarHash(parseElement((await h.storage.vcards.get(owner))!, LIMITS));
  const get = async (from: string, to?: string) => {
    const edge = h.edge();
    const s = await edge.bind(`${from}/v${Math.random().toString(36).slice(2, 8)}`);
    return edge.ask(s, xml('iq', { type: 'get', ...(to ? { to } : {}) }, xml('vCard', { xmlns: V })));
  };
  const set = async (from: string, vcard: Element) => {
    const edge = h.edge();
    const s = await edge.bind(`${from}/v${Math.random().toString(36).slice(2, 8)}`);
    return edge.ask(s, xml('iq', { type: 'set' }, vcard));
  };

  test('get: FN, N, EMAIL, TEL, TITLE and PHOTO (jpegPhoto, image/jpeg) from the entry, for the owner and for others', async () => {
    for (const r of [await get(alice), await get(bob, alice)]) {
      const v = r.getChild('vCard', V);
      assert.equal(field(v, 'FN'), 'Alice Liddell');
      assert.equal(field(v, 'N/GIVEN'), 'Alice');
      assert.equal(field(v, 'N/FAMILY'), 'Liddell');
      assert.equal(field(v, 'EMAIL/USERID'), 'alice@example.test');
      assert.equal(field(v, 'TEL/NUMBER'), '+44 20 7946 0000');
      assert.equal(field(v, 'TITLE'), 'Engineer');
      assert.equal(field(v, 'PHOTO/TYPE'), 'image/jpeg');
      assert.equal(Buffer.from(field(v, 'PHOTO/BINVAL') ?? '', 'base64').equals(JPEG), true);
    }
    assert.equal(field((await get(bob)).getChild('vCard', V), 'PHOTO/TYPE'), undefined, 'bob has no photo in the directory');
  });

  test('set: own fields are kept beside the directory ones; directory fields sent back unchanged are fine', async () => {
    const mine = (await get(alice)).getChild('vCard', V)!;
    mine.append(xml('URL', {}, 'https://alice.example'));
    assert.equal((await set(alice, mine)).attrs.type, 'result', 'the whole vCard as read, plus a URL');
    assert.equal((await set(alice, card(xml('URL', {}, 'https://alice.example'), xml('BDAY', {}, '1865-11-26')))).attrs.type, 'result', 'only own fields');
    const v = (await get(bob, alice)).getChild('vCard', V);
    assert.equal(field(v, 'URL'), 'https://alice.example');
    assert.equal(field(v, 'BDAY'), '1865-11-26');
    assert.equal(field(v, 'FN'), 'Alice Liddell');
    const stored = await h.storage.vcards.get(alice);
    assert.doesNotMatch(stored ?? '', /Liddell/, 'directory fields are not stored: a change in the directory shows at once');
    assert.equal(await storedHash(alice), avatarHash(JPEG), 'but the photo is, for the XEP-0153 hash in presence');
  });

  test('set: a directory field with another value → not-allowed naming it; nothing stored', async () => {
    const before = await h.storage.vcards.get(alice);
    for (const [changed, el] of [
      ['FN', xml('FN', {}, 'Queen of Hearts')],
      ['EMAIL', xml('EMAIL', {}, xml('USERID', {}, 'alice@elsewhere.test'))],
      ['N', xml('N', {}, xml('GIVEN', {}, 'Alice'))],
      ['PHOTO', xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, 'iVBORw0KGgo='))],
    ] as const) {
      const r = await set(alice, card(el, xml('NOTE', {}, 'x')));
      assert.equal(errorCondition(r), 'not-allowed', changed);
      assert.match(
        r.getChild('error')?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas') ?? '',
        new RegExp(`^${changed} come from the company directory`),
      );
    }
    assert.equal(await h.storage.vcards.get(alice), before);
  });

  test('a field the directory does not have stays the user’s (bob has no photo: he may set one, and it goes to PEP)', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    const r = await set(bob, card(xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, png.toString('base64')))));
    assert.equal(r.attrs.type, 'result');
    assert.equal(field((await get(alice, bob)).getChild('vCard', V), 'PHOTO/TYPE'), 'image/png');
    assert.equal(field((await get(alice, bob)).getChild('vCard', V), 'FN'), 'Bob Builder');
    assert.ok(await h.storage.pubsub.node(bob, AVATAR_METADATA_NODE), 'XEP-0398: the photo went to PEP');
  });

  test('login: a directory photo goes into the stored vCard (XEP-0153 hash) and PEP (XEP-0084); an entry without one changes nothing', async () => {
    const dora = await h.createUser('dora');
    await dir.slapd.add(
      `dn: uid=dora,${PEOPLE}\nobjectClass: inetOrgPerson\nuid: dora\ncn: Dora Explorer\nsn: Explorer\nmail: dora@example.test\njpegPhoto:: ${JPEG.toString('base64')}\n`,
    );
    const edge = h.edge();
    const s = await edge.bind(`${dora}/pc`);
    await h.available(s);
    await waitFor(async () => (await pepAvatarId(dora)) === avatarHash(JPEG), { what: "dora's directory photo in PEP" });
    assert.equal(await storedHash(dora), avatarHash(JPEG));
    // bob's entry has no photo: his own PNG avatar (set above) stays, in the vCard and in PEP.
    const before = await pepAvatarId(bob);
    const storedBefore = await storedHash(bob);
    assert.ok(before && storedBefore);
    const users = new DirectoryUsers(h.config.directory);
    try {
      const runtime = h.routers[0]!.runtime;
      await syncDirectoryPhoto(runtime, users, routerPep(runtime), 'bob', 'example.com');
    } finally {
      await users.close();
    }
    assert.equal(await pepAvatarId(bob), before);
    assert.equal(await storedHash(bob), storedBefore);
    assert.equal(field((await get(alice, bob)).getChild('vCard', V), 'PHOTO/TYPE'), 'image/png');
  });

  test('an account the directory does not know keeps a plain vCard', async () => {
    const local = 'local-only@example.com';
    assert.equal((await set(local, card(xml('FN', {}, 'Just Local')))).attrs.type, 'result');
    assert.equal(field((await get(alice, local)).getChild('vCard', V), 'FN'), 'Just Local');
  });

  test('cached: a directory change shows after cacheTtlMs; while the directory is down the last copy answers; never read + down → remote-server-timeout', async () => {
    await get(bob, alice); // cached now
    await dir.slapd.modify(`dn: uid=alice,${PEOPLE}\nchangetype: modify\nreplace: title\ntitle: Chief Engineer\n`);
    await waitFor(async () => field((await get(bob, alice)).getChild('vCard', V), 'TITLE') === 'Chief Engineer', { what: 'the new title after the TTL' });
    await dir.slapd.kill();
    try {
      const r = await get(bob, alice);
      assert.equal(field(r.getChild('vCard', V), 'TITLE'), 'Chief Engineer', 'stale copy while down');
      await h.createUser('carol'); // in the directory, never read
      const r2 = await get(alice, 'carol@example.com');
      assert.equal(errorCondition(r2), 'remote-server-timeout');
    } finally {
      await dir.slapd.start();
    }
  });
});
