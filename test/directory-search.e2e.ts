import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, TEST_DIRECTORY_PEOPLE as PEOPLE, TEST_DIRECTORY_USERS as USERS, type TestDirectory } from '#libs/directory';
import { tempDir } from '#libs/testing';
import { startCluster } from './harness/cluster.js';
import { slixmppScript } from './harness/external-clients.js';
import { startStandalone, type Deployment } from './harness/standalone.js';

/**
 * XEP-0055 user search and directory vCards end to end (issue 15 §3, docs/directory.md) with
 * slixmpp's xep_0055 and xep_0054 plugins (test/clients/slix_search.py) against a real slapd:
 * standalone, then a cluster (two edges, two routers, two presence replicas: search.localhost is
 * declared by both, answered by the one owning its partition).
 */
const deployments: [string, (env: Record<string, string>) => Promise<Deployment>][] = [
  ['standalone', (env) => startStandalone(env)],
  ['a cluster (2 edges, 2 routers, 2 presence)', (env) => startCluster({ edges: 2, routers: 2, presences: 2, env })],
];

interface SlixResult {
  ok: boolean;
  error?: string;
  service?: string;
  identities?: string[];
  form_fields?: string[];
  searches?: { jids?: string[]; instructions?: string; error?: string }[];
  legacy?: string[];
  bad?: { error?: string };
  vcard?: { FN: string; EMAIL: string; TITLE: string };
  vcard_set?: string;
}

for (const [kind, start] of deployments)
  describe(`directory search and vCards with slixmpp on ${kind}`, () => {
    let dir: TestDirectory;
    let glider: Deployment;
    const tmp = tempDir('glider-directory-search-e2e-');
    const caFile = join(tmp.path, 'ca.pem');

    before(async () => {
      dir = await startTestDirectory();
      await dir.slapd.modify(`dn: uid=bob,${PEOPLE}\nchangetype: modify\nadd: title\ntitle: Site Foreman\n`);
      const config = join(tmp.path, 'glider.json');
      writeFileSync(
        config,
        JSON.stringify({
          domains: ['localhost'],
          directory: { domains: { localhost: { ldap: dir.ldapConfig(), vcard: {} } } },
          features: { search: { enabled: true, maxResults: 10 } },
        }),
      );
      glider = await start({ GLIDER_CONFIG: config });
      writeFileSync(caFile, glider.certPem());
    });
    after(async () => {
      await glider?.stop();
      await dir?.stop();
      tmp.remove();
    });

    test('a user finds search.localhost by disco, searches by form and legacy fields, reads a directory vCard it cannot change', async () => {
      // bob signs in once first: a directory user's account record (what a vCard get is answered
      // for, like messages) is made at their first login (docs/directory.md).
      const first = await slixmppScript('slix_search.py', [
        ...['--jid', 'bob@localhost/slix', '--password', USERS.bob.password, '--port', String(glider.edges[0]!.c2sPort), '--ca', caFile],
        ...['--field', 'first=ali'],
      ]);
      assert.match(first.stdout, /"jids": \["alice@localhost"\]/, first.stderr.slice(-2000));
      const edge = glider.edges[glider.edges.length - 1]!;
      const res = await slixmppScript('slix_search.py', [
        ...['--jid', 'alice@localhost/slix', '--password', USERS.alice.password, '--port', String(edge.c2sPort), '--ca', caFile],
        ...['--field', 'user=bob', '--field', 'email=example.test', '--field', 'user=*)(uid=*', '--field', `last=${'x'.repeat(500)}`],
        ...['--legacy-last', 'Builder', '--vcard-of', 'bob@localhost'],
      ]);
      const line = res.stdout.trim().split('\n').pop() ?? '';
      assert.ok(line.startsWith('{'), `slix_search.py printed no result (exit ${res.code}): ${res.stderr.slice(-2000)}`);
      const out = JSON.parse(line) as SlixResult;
      assert.equal(out.ok, true, `${out.error ?? ''} ${res.stderr.slice(-2000)}`);
      assert.equal(out.service, 'search.localhost');
      assert.deepEqual(out.identities, ['directory/user']);
      assert.deepEqual(out.form_fields, ['FORM_TYPE', 'user', 'first', 'last', 'nick', 'email', 'fn']);
      const [byUser, byMail, injected, oversized] = out.searches!;
      assert.deepEqual(byUser!.jids, ['bob@localhost']);
      // carol (outside the login filter) and dave (disabled) are not listed.
      assert.deepEqual(byMail!.jids, ['alice@localhost', 'bob@localhost']);
      assert.deepEqual(injected!.jids, [], 'filter characters match literally');
      assert.equal(oversized!.error, 'not-acceptable');
      assert.deepEqual(out.legacy, ['bob@localhost']);
      assert.equal(out.bad?.error, 'bad-request', 'a field the form does not have');
      assert.deepEqual(out.vcard, { FN: 'Bob Builder', EMAIL: 'bob@example.test', TITLE: 'Site Foreman' });
      assert.equal(out.vcard_set, 'not-allowed', 'FN comes from the directory');
    });
  });
