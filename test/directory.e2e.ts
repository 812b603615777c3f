import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, TEST_DIRECTORY_USERS as USERS, type TestDirectory } from '#libs/directory';
import { tempDir, waitFor } from '#libs/testing';
import { startStandalone, type Deployment } from './harness/standalone.js';
import { client as xmppClient } from '@xmpp/client';
import { CLIENT_STEP_TIMEOUT_MS, connect, isMessageWithBody, trustCertificate, xml, type TestClient } from './harness/xmpp-client.js';

/**
 * Directory sign-on end to end (issue 15 §1, docs/directory.md): `standalone` with
 * directory.domains.localhost.ldap pointing at a real slapd, xmpp.js clients logging in with their
 * directory passwords (SASL PLAIN over STARTTLS), a chat between two of them, each refusal as the
 * client sees it, and an outage.
 */
describe('directory sign-on with xmpp.js on standalone', () => {
  let dir: TestDirectory;
  let glider: Deployment;
  const clients: TestClient[] = [];
  const tmp = tempDir('glider-directory-e2e-');
  const service = (): string => `xmpp://127.0.0.1:${glider.edges[0]!.c2sPort}`;
  const login = async (user: string, password: string, resource = 'e2e'): Promise<TestClient> => {
    const c = await connect(service(), user, password, resource);
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
    glider = await startStandalone({ GLIDER_CONFIG: config });
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
    const bob = await login('bob', USERS.bob.password);
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

  test('directory down: new logins get temporary-auth-failure, a signed-in user keeps chatting; back up: logins work', async () => {
    const alice = await login('alice', USERS.alice.password, 'outage');
    const bob = await login('bob', USERS.bob.password, 'outage');
    await dir.slapd.kill();
    try {
      assert.equal(await refusal('alice', USERS.alice.password), 'temporary-auth-failure');
      await alice.send(xml('message', { to: bob.jid, type: 'chat' }, xml('body', {}, 'directory is down')));
      await bob.waitFor('message during the outage', isMessageWithBody('directory is down'));
    } finally {
      await dir.slapd.start();
    }
    await waitFor(async () => (await refusal('bob', USERS.bob.password)) === 'success', { what: 'logins after the directory is back', timeoutMs: 30_000 });
  });
});
