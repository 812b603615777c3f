import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, TEST_DIRECTORY_GROUPS, TEST_DIRECTORY_PEOPLE, TEST_DIRECTORY_USERS as USERS, type TestDirectory } from '#libs/directory';
import { tempDir, waitFor } from '#libs/testing';
import { startCluster } from './harness/cluster.js';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { client as xmppClient } from '@xmpp/client';
import { CLIENT_STEP_TIMEOUT_MS, connect, isMessageWithBody, stopReconnecting, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

/**
 * Directory sign-on end to end (issue 15 §1, docs/directory.md): `standalone`, then a cluster (two
 * edges, two routers: each edge its own LDAP pool), with directory.domains.localhost.ldap pointing at
 * a real slapd; xmpp.js clients log in with their directory passwords (SASL PLAIN over STARTTLS), two
 * of them chat (on different edges in the cluster), each refusal as the client sees it, a message to
 * a new hire who never signed in (stored offline, docs/directory.md "Users who never signed in"), an outage.
 */
const deployments: [string, (env: Record<string, string>) => Promise<Deployment>][] = [
  ['standalone', (env) => startStandalone(env)],
  ['a cluster (2 edges, 2 routers)', (env) => startCluster({ edges: 2, routers: 2, env })],
];

for (const [kind, start] of deployments)
  describe(`directory sign-on with xmpp.js on ${kind}`, () => {
    let dir: TestDirectory;
    let glider: Deployment;
    const clients: TestClient[] = [];
    const tmp = tempDir('glider-directory-e2e-');
    const service = (edge = 0): string => `xmpp://127.0.0.1:${glider.edges[edge % glider.edges.length]!.c2sPort}`;
    const login = async (user: string, password: string, resource = 'e2e', edge = 0): Promise<TestClient> => {
      const c = await connect(service(edge), user, password, resource);
      clients.push(c);
      return c;
    };
    /** The SASL condition xmpp.js reports for a refused login. */
    const refusal = async (user: string, password: string): Promise<string> => {
      // Its own client, stopped either way (xmpp.js would otherwise keep reconnecting).
      const xmpp = xmppClient({ service: service(), domain: 'localhost', username: user, password, resource: 'refused', timeout: CLIENT_STEP_TIMEOUT_MS });
      xmpp.on('error', () => {});
      try {
        await xmpp.start();
        return 'success';
      } catch (err) {
        return (err as { condition?: string }).condition ?? String(err);
      } finally {
        stopReconnecting(xmpp);
        await xmpp.stop().catch(() => {});
      }
    };

    before(async () => {
      dir = await startTestDirectory();
      const config = join(tmp.path, 'glider.json');
      writeFileSync(
        config,
        JSON.stringify({ domains: ['localhost'], directory: { domains: { localhost: { ldap: dir.ldapConfig({ probeIntervalMs: 200 }) } } } }),
      );
      glider = await start({ GLIDER_CONFIG: config });
      trustCertificate(glider.certPem());
    });
    after(async () => {
      for (const c of clients) await c.stop();
      await glider?.stop();
      await dir?.stop();
      tmp.remove();
    });

    test('two directory users sign in with their directory passwords and chat', async () => {
      const alice = await login('alice', USERS.alice.password);
      const bob = await login('bob', USERS.bob.password, 'e2e', 1);
      assert.match(alice.jid, /^alice@localhost\//);
      // To the full JID: bob sent no initial presence, so the bare JID would store it offline (RFC 6121 §8.5.2).
      await alice.send(xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, 'hello from the directory')));
      await bob.waitFor('alice’s message', isMessageWithBody('hello from the directory'));
    });

    test('refusals as the client sees them (RFC 6120 §6.5)', async () => {
      assert.equal(await refusal('alice', 'wrong'), 'not-authorized');
      assert.equal(await refusal('nobody', 'x'), 'not-authorized');
      assert.equal(await refusal('carol', USERS.carol.password), 'not-authorized');
      assert.equal(await refusal('dave', USERS.dave.password), 'account-disabled');
    });

    test('a new hire who never signed in: a message is stored offline (no bounce), delivered at their first login', async () => {
      await dir.slapd.add(
        `dn: uid=erin,${TEST_DIRECTORY_PEOPLE}\nobjectClass: inetOrgPerson\nuid: erin\ncn: Erin Newhire\nsn: Newhire\nuserPassword: erin-pw\n`,
      );
      await dir.slapd.modify(`dn: cn=xmpp,${TEST_DIRECTORY_GROUPS}\nchangetype: modify\nadd: member\nmember: uid=erin,${TEST_DIRECTORY_PEOPLE}\n`);
      const alice = await login('alice', USERS.alice.password, 'welcome');
      await alice.send(xml('message', { to: 'erin@localhost', type: 'chat', id: 'welcome' }, xml('body', {}, 'welcome aboard')));
      // Same sender, same router partition, handled in order: once this IQ is answered the message was routed.
      const vcard = await alice.iq(xml('iq', { to: 'erin@localhost', type: 'get' }, xml('vCard', { xmlns: 'vcard-temp' })));
      assert.equal(vcard.attrs.type, 'result');
      assert.ok(!alice.stanzas.some((st) => st.attrs.type === 'error'), 'no bounce');
      const erin = await login('erin', 'erin-pw', 'first', 1);
      await erin.send(xml('presence'));
      await erin.waitFor('the message stored before the first login', isMessageWithBody('welcome aboard'));
    });

    test('directory down: new logins get temporary-auth-failure, a signed-in user keeps chatting; back up: logins work', async () => {
      const alice = await login('alice', USERS.alice.password, 'outage');
      const bob = await login('bob', USERS.bob.password, 'outage', 1);
      await dir.slapd.kill();
      try {
        assert.equal(await refusal('alice', USERS.alice.password), 'temporary-auth-failure');
        await alice.send(xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, 'directory is down')));
        await bob.waitFor('message during the outage', isMessageWithBody('directory is down'));
        // Someone without an account record: the directory cannot say whether they exist → wait error, not "nobody there".
        await alice.send(xml('message', { to: 'newcomer@localhost', type: 'chat', id: 'to-newcomer' }, xml('body', {}, 'hi')));
        const bounce = await alice.waitFor('the wait error', (st) => st.attrs.id === 'to-newcomer' && st.attrs.type === 'error');
        assert.equal(bounce.getChild('error')?.attrs.type, 'wait');
        assert.ok(bounce.getChild('error')?.getChild('remote-server-timeout', 'urn:ietf:params:xml:ns:xmpp-stanzas'), bounce.toString());
      } finally {
        await dir.slapd.start();
      }
      await waitFor(async () => (await refusal('bob', USERS.bob.password)) === 'success', { what: 'logins after the directory is back', timeoutMs: 30_000 });
    });
  });
