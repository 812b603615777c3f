import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { directorySchema } from '#libs/config';
import { DirectoryUsers } from './directory-users.js';
import { PEOPLE, startTestDirectory, type TestDirectory } from './testing/test-directory.js';

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200, 7)]);

/** DirectoryUsers against a real slapd: vCard fields of one user (mapping, photo rules, cache) and the sign-on-only search. */
describe('DirectoryUsers against slapd', () => {
  let dir: TestDirectory;
  const users = (ldap: Record<string, unknown>, vcard: Record<string, unknown> = {}) =>
    new DirectoryUsers(directorySchema.parse({ domains: { 'example.com': { ldap, vcard } } }));

  before(async () => {
    dir = await startTestDirectory();
    await dir.slapd.modify(`dn: uid=alice,${PEOPLE}\nchangetype: modify\nadd: jpegPhoto\njpegPhoto:: ${JPEG.toString('base64')}\n`);
    // bob's "photo" is not an image a vCard can name.
    await dir.slapd.modify(`dn: uid=bob,${PEOPLE}\nchangetype: modify\nadd: jpegPhoto\njpegPhoto:: ${Buffer.from('GIF89a not a jpeg').toString('base64')}\n`);
  });
  after(async () => {
    await dir?.stop();
  });

  test('fields from the configured attributes; a JPEG photo with its type; a non-JPEG/PNG photo left out; an unknown user undefined', async () => {
    const u = users(dir.ldapConfig(), { attributes: { fn: 'cn', email: 'mail', nickname: 'uid', photo: 'jpegPhoto' } });
    try {
      const alice = await u.profile('alice', 'example.com');
      assert.deepEqual(alice?.fields, { fn: 'Alice Liddell', email: 'alice@example.test', nickname: 'alice' });
      assert.equal(alice?.photo?.type, 'image/jpeg');
      assert.equal(alice?.photo?.data.equals(JPEG), true);
      assert.equal((await u.profile('bob', 'example.com'))?.photo, undefined);
      assert.equal(await u.profile('nobody', 'example.com'), undefined);
      assert.equal(await u.profile('*', 'example.com'), undefined, 'the username is escaped: * is nobody');
    } finally {
      await u.close();
    }
  });

  test('maxPhotoBytes: a bigger photo is left out, the fields stay', async () => {
    const u = users(dir.ldapConfig(), { maxPhotoBytes: 100 });
    try {
      const alice = await u.profile('alice', 'example.com');
      assert.equal(alice?.photo, undefined);
      assert.equal(alice?.fields.fn, 'Alice Liddell');
    } finally {
      await u.close();
    }
  });

  test('direct bind by DN pattern: the entry is read at its DN (RFC 4514-escaped)', async () => {
    const u = users(dir.ldapConfig({ userBase: undefined, userDnPattern: `uid={username},${PEOPLE}` }));
    try {
      assert.equal((await u.profile('bob', 'example.com'))?.fields.fn, 'Bob Builder');
      assert.equal(await u.profile('bob,ou=x', 'example.com'), undefined);
      assert.equal(u.searchFields('example.com'), undefined, 'no userBase: nothing to search under');
    } finally {
      await u.close();
    }
  });

  test('cache: cacheMaxEntries users kept, least recently read dropped first; down → the cached copy, never read → unavailable', async () => {
    const u = users(dir.ldapConfig(), { cacheTtlMs: 1_000, cacheMaxEntries: 2 });
    try {
      const t0 = Date.now();
      await u.profile('alice', 'example.com', t0);
      await u.profile('bob', 'example.com', t0);
      await u.profile('alice', 'example.com', t0); // alice is now the most recent
      await u.profile('carol', 'example.com', t0); // bob dropped
      await dir.slapd.kill();
      try {
        // Expired (t0 + 2 s) and the directory down: the last copy answers...
        assert.equal((await u.profile('alice', 'example.com', t0 + 2_000))?.fields.fn, 'Alice Liddell');
        assert.equal((await u.profile('carol', 'example.com', t0 + 2_000))?.fields.fn, 'Carol Danvers');
        // ...but bob was dropped from the cache: nothing to answer with.
        await assert.rejects(u.profile('bob', 'example.com', t0 + 2_000), { name: 'DirectoryUnavailableError' });
      } finally {
        await dir.slapd.start();
      }
    } finally {
      await u.close();
    }
  });

  test('a silent directory is asked once per probeIntervalMs: the next read fails at once, without a new connection', async () => {
    const sockets = new Set<Socket>();
    let accepted = 0;
    const tarpit: Server = createServer((s) => {
      accepted++;
      sockets.add(s);
    });
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    const port = (tarpit.address() as { port: number }).port;
    const u = users(dir.ldapConfig({ url: `ldap://127.0.0.1:${port}`, operationTimeoutMs: 300, connectTimeoutMs: 300, probeIntervalMs: 60_000 }));
    try {
      await assert.rejects(u.profile('alice', 'example.com'), { name: 'DirectoryUnavailableError' });
      const asked = accepted;
      assert.ok(asked >= 1);
      await assert.rejects(u.profile('bob', 'example.com'), /not asked again/);
      await assert.rejects(u.search('example.com', { user: 'bob' }, 10), /not asked again/);
      assert.equal(accepted, asked, 'no new connection while the directory counts as down');
    } finally {
      await u.close();
      for (const s of sockets) s.destroy();
      tarpit.close();
    }
  });

  test('search finds only people who can sign on (loginFilter, not disabledFilter)', async () => {
    const u = users(dir.ldapConfig());
    try {
      const { users: found } = await u.search('example.com', { email: 'example.test' }, 10);
      assert.deepEqual(
        found.map((f) => f.username),
        ['alice', 'bob'],
      );
    } finally {
      await u.close();
    }
  });
});
