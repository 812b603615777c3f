import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { directorySchema } from '#libs/config';
import { freePort } from '#libs/testing';
import { DirectoryUsers } from './directory-users.js';
import { DirectoryUnavailableError } from './ldap-pool.js';
import { PEOPLE, startTestDirectory, type TestDirectory } from './testing/test-directory.js';

/**
 * DirectoryUsers.maySignOn (what provisions a user who never signed in) against a real slapd, with
 * both ways of finding the entry: alice may sign on, carol is outside the login filter, dave is disabled.
 */
describe('maySignOn against slapd', () => {
  let dir: TestDirectory;
  const users = (ldap: Record<string, unknown>) => new DirectoryUsers(directorySchema.parse({ domains: { 'example.com': { ldap } } }));

  before(async () => {
    dir = await startTestDirectory();
  });
  after(() => dir?.stop());

  for (const [how, ldap] of [
    ['search-then-bind', {}],
    ['DN pattern', { userBase: undefined, userDnPattern: `uid={username},${PEOPLE}` }],
  ] as const)
    test(`${how}: only people who may sign on; names trying filter or DN injection match nobody`, async () => {
      const u = users(dir.ldapConfig(ldap));
      try {
        const verdicts: Record<string, boolean> = {};
        for (const name of ['alice', 'bob', 'carol', 'dave', 'nobody', '*', 'alice)(uid=*', 'alice,ou=people'])
          verdicts[name] = await u.maySignOn(name, 'example.com');
        assert.deepEqual(verdicts, {
          alice: true,
          bob: true,
          carol: false,
          dave: false,
          nobody: false,
          '*': false,
          'alice)(uid=*': false,
          'alice,ou=people': false,
        });
      } finally {
        await u.close();
      }
    });

  test('an unreachable directory: DirectoryUnavailableError, then not asked again for probeIntervalMs', async () => {
    const u = users(dir.ldapConfig({ url: `ldap://localhost:${await freePort()}`, probeIntervalMs: 60_000 }));
    try {
      await assert.rejects(u.maySignOn('alice', 'example.com'), DirectoryUnavailableError);
      await assert.rejects(u.maySignOn('bob', 'example.com'), /not asked again/);
    } finally {
      await u.close();
    }
  });
});
