import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  startTestDirectory,
  TEST_DIRECTORY_GROUPS as GROUPS,
  TEST_DIRECTORY_PEOPLE as PEOPLE,
  TEST_DIRECTORY_USERS as USERS,
  type TestDirectory,
} from '#libs/directory';
import { tempDir } from '#libs/testing';
import { gliderctl } from './harness/gliderctl.js';
import type { Deployment } from './harness/standalone.js';
import { connect, isPresence, trustCertificate, xml, type TestClient, type XmppElement } from './harness/xmpp-client.js';

/**
 * Shared rosters from directory groups end to end (issue 15 §2, docs/directory.md): a real slapd,
 * directory.domains.localhost.sharedRoster on the engineering group; xmpp.js clients signed in with
 * their directory passwords find each other in their rosters (subscription both, group
 * "engineering") and see each other's presence without ever subscribing.
 */
const rosterItems = (r: XmppElement): string[] =>
  (r.getChild('query', 'jabber:iq:roster')?.getChildren('item') ?? []).map(
    (i) =>
      `${i.attrs.jid}:${i.attrs.subscription}:${i
        .getChildren('group')
        .map((g) => g.text())
        .join('|')}`,
  );

/** The scenario on one deployment; each deployment runs in its own test file (process). */
export function sharedRosterScenario(kind: string, start: (env: Record<string, string>) => Promise<Deployment>): void {
  describe(`directory shared roster with xmpp.js on ${kind}`, () => {
    let dir: TestDirectory;
    let glider: Deployment;
    const clients: TestClient[] = [];
    const tmp = tempDir('glider-shared-roster-e2e-');
    const login = async (user: keyof typeof USERS, edge = 0): Promise<TestClient> => {
      const c = await connect(`xmpp://127.0.0.1:${glider.edges[edge % glider.edges.length]!.c2sPort}`, user, USERS[user].password, 'e2e');
      clients.push(c);
      return c;
    };

    before(async () => {
      dir = await startTestDirectory();
      const config = join(tmp.path, 'glider.json');
      const sharedRoster = { groupBase: GROUPS, groupFilter: '(&(objectClass=groupOfNames)(cn=engineering))' };
      writeFileSync(config, JSON.stringify({ domains: ['localhost'], directory: { domains: { localhost: { ldap: dir.ldapConfig(), sharedRoster } } } }));
      glider = await start({ GLIDER_CONFIG: config });
      trustCertificate(glider.certPem());
    });
    after(async () => {
      for (const c of clients) await c.stop();
      await glider?.stop();
      await dir?.stop();
      tmp.remove();
    });

    test('group members are in each other’s roster and see each other’s presence without subscribing', async () => {
      const alice = await login('alice');
      const roster = await alice.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
      assert.deepEqual(rosterItems(roster), ['bob@localhost:both:engineering']);
      await alice.send(xml('presence'));
      const bob = await login('bob', 1);
      assert.deepEqual(rosterItems(await bob.iq(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })))), [
        'alice@localhost:both:engineering',
      ]);
      await bob.send(xml('presence'));
      await alice.waitFor('bob’s presence', isPresence('bob@localhost'));
      await bob.waitFor('alice’s presence (the login probe answered)', isPresence('alice@localhost'));
    });

    test('gliderctl directory refresh reads a joiner now and the online member gets a roster push (RFC 6121 §2.1.6)', async () => {
      const alice = clients[0]!;
      await dir.slapd.modify(`dn: cn=engineering,${GROUPS}\nchangetype: modify\nadd: member\nmember: uid=carol,${PEOPLE}\n`);
      const isCarolPush = (s: XmppElement) => s.is('iq') && s.attrs.type === 'set' && rosterItems(s).includes('carol@localhost:both:engineering');
      const pushed = alice.waitFor('the roster push adding carol', isCarolPush);
      const ctl = await gliderctl(['directory', 'refresh', 'localhost'], { adminPort: glider.adminPort });
      assert.equal(ctl.code, 0, ctl.stderr);
      assert.match(ctl.stdout, /^localhost: 1 groups, 3 members, 4 changes pushed$/m);
      await pushed;
      const bad = await gliderctl(['directory', 'refresh', 'elsewhere.test'], { adminPort: glider.adminPort });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /does not serve the domain elsewhere.test/);
    });
  });
}
