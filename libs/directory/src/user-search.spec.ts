import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ldapSchema } from '#libs/config';
import { LdapPool } from './ldap-pool.js';
import { PEOPLE, startTestDirectory, type TestDirectory } from './testing/test-directory.js';
import { searchDirectoryUsers } from './user-search.js';

/** XEP-0055 search terms against a real slapd (the building block of jabber:iq:search over a directory). */
describe('searchDirectoryUsers against slapd', () => {
  let dir: TestDirectory;
  let pool: LdapPool;
  let ldap: ReturnType<typeof ldapSchema.parse>;
  const names = (r: { users: { username: string }[] }) => r.users.map((u) => u.username);

  before(async () => {
    dir = await startTestDirectory();
    ldap = ldapSchema.parse(dir.ldapConfig());
    pool = new LdapPool(ldap);
  });
  after(async () => {
    await pool?.close();
    await dir?.stop();
  });

  test('substring match on mapped fields; every given field must match; the entry’s fields come back', async () => {
    const r = await searchDirectoryUsers(pool, ldap, { fields: { last: 'build' } }, { maxResults: 10 });
    assert.deepEqual(r.users, [{ username: 'bob', fields: { user: 'bob', first: 'Bob', last: 'Builder', email: 'bob@example.test', fn: 'Bob Builder' } }]);
    assert.equal(r.truncated, false);
    assert.deepEqual(names(await searchDirectoryUsers(pool, ldap, { fields: { email: 'example.test' } }, { maxResults: 10 })), [
      'alice',
      'bob',
      'carol',
      'dave',
    ]);
    assert.deepEqual(names(await searchDirectoryUsers(pool, ldap, { fields: { email: 'example.test', first: 'car' } }, { maxResults: 10 })), ['carol']);
  });

  test('no usable field: nothing searched; unknown fields ignored', async () => {
    assert.deepEqual(await searchDirectoryUsers(pool, ldap, { fields: { first: '  ', shoeSize: '42' } }, { maxResults: 10 }), { users: [], truncated: false });
  });

  test('typed text cannot change the filter (RFC 4515 escaping)', async () => {
    assert.deepEqual(names(await searchDirectoryUsers(pool, ldap, { fields: { user: '*' } }, { maxResults: 10 })), []);
    assert.deepEqual(names(await searchDirectoryUsers(pool, ldap, { fields: { user: 'x)(uid=*' } }, { maxResults: 10 })), []);
  });

  test('more matches than maxResults: the first maxResults and truncated', async () => {
    const entries = Array.from(
      { length: 60 },
      (_, i) => `dn: uid=temp${i},${PEOPLE}\nobjectClass: inetOrgPerson\nuid: temp${i}\ncn: Temp ${i}\nsn: Temp\nmail: temp${i}@example.test\n`,
    );
    await dir.slapd.add(entries.join('\n'));
    const r = await searchDirectoryUsers(pool, ldap, { fields: { last: 'temp' } }, { maxResults: 25 });
    assert.equal(r.users.length, 25);
    assert.equal(r.truncated, true);
    const all = await searchDirectoryUsers(pool, ldap, { fields: { last: 'temp' } }, { maxResults: 100 });
    assert.equal(all.users.length, 60);
    assert.equal(all.truncated, false);
  });
});
