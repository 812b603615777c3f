import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestDirectory, TEST_DIRECTORY_USERS as USERS, type TestDirectory } from '#libs/directory';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { DOMAIN, startEdge, type EdgeHarness } from '../../testing/edge-harness.js';
import { RawClient } from '../../testing/raw-client.js';

/**
 * A domain signed on against a real slapd (directory.domains.<domain>.ldap): SASL PLAIN inside TLS,
 * each RFC 6120 §6.5 condition for each kind of bad input, and a directory outage.
 */
describe('c2s login against an LDAP directory', () => {
  let dir: TestDirectory;
  let h: EdgeHarness;
  const clients: RawClient[] = [];
  const secured = async (): Promise<{ c: RawClient; mechanisms: string[]; features: import('#libs/xml').Element }> => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    clients.push(c);
    const features = await c.open(DOMAIN);
    const mechanisms = features
      .getChild('mechanisms')!
      .getChildren('mechanism')
      .map((m) => m.text());
    return { c, mechanisms, features };
  };
  const plain = async (user: string, password: string): Promise<string> => {
    const { c } = await secured();
    const outcome = await c.plain(user, password);
    return outcome.name === 'success' ? 'success' : outcome.elements()[0]!.name;
  };

  before(async () => {
    dir = await startTestDirectory();
    // registration on: a directory domain still never offers it.
    h = await startEdge({
      edge: { sasl2: { enabled: true } },
      registration: { enabled: true },
      directory: { domains: { [DOMAIN]: { ldap: dir.ldapConfig() } } },
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await h?.stop();
    await dir?.stop();
  });

  test('only PLAIN is offered, and no channel binding (the password must reach the directory)', async () => {
    const { mechanisms, features } = await secured();
    assert.deepEqual(mechanisms, ['PLAIN']);
    assert.equal(features.getChild('sasl-channel-binding'), undefined);
    const sasl2 = features.getChild('authentication', 'urn:xmpp:sasl:2');
    assert.deepEqual(
      sasl2?.getChildren('mechanism').map((m) => m.text()),
      ['PLAIN'],
      'XEP-0388 offers the same',
    );
  });

  test('in-band registration is neither offered nor answered on a directory domain', async () => {
    const { c, features } = await secured();
    assert.equal(features.getChild('register'), undefined);
    c.send(xml('iq', { type: 'set', id: 'r1' }, xml('query', { xmlns: 'jabber:iq:register' }, xml('username', {}, 'mallory'), xml('password', {}, 'pw'))));
    const answer = await c.element();
    assert.equal(answer.attrs.type, 'error');
    assert.ok(answer.getChild('error')!.getChild('service-unavailable'));
    assert.equal(await h.storage.accounts.get('mallory', DOMAIN), undefined);
  });

  test('a directory user signs in, gets an account record, binds and sends', async () => {
    assert.equal(await h.storage.accounts.get('alice', DOMAIN), undefined);
    const { c } = await secured();
    assert.equal((await c.plain('alice', USERS.alice.password)).name, 'success');
    await c.open(DOMAIN);
    assert.equal(await c.bind('desk'), `alice@${DOMAIN}/desk`);
    assert.ok(await h.storage.accounts.get('alice', DOMAIN), 'account record made at the first login');
    c.send(xml('message', { to: `alice@${DOMAIN}`, id: 'd1' }, xml('body', {}, 'hi')));
    assert.equal((await c.element()).getChildText('body'), 'hi');
  });

  test('bad input: each gets its exact SASL condition (RFC 6120 §6.5)', async () => {
    assert.equal(await plain('alice', 'wrong'), 'not-authorized');
    assert.equal(await plain('nobody', 'whatever'), 'not-authorized');
    assert.equal(await plain('carol', USERS.carol.password), 'not-authorized', 'right password, not in the login filter');
    assert.equal(await plain('dave', USERS.dave.password), 'account-disabled');
    assert.equal(await plain('dave', 'wrong'), 'not-authorized', 'disabled is told only after the right password');
    assert.equal(await plain('alice', ''), 'malformed-request', 'RFC 4616: an empty password is not PLAIN');
    const { c } = await secured();
    const scram = await c.scram('alice', USERS.alice.password, 'SCRAM-SHA-256');
    assert.equal(scram.elements()[0]!.name, 'invalid-mechanism');
  });

  test('an administrator disabling the local account holds for a directory user', async () => {
    await h.storage.accounts.get('bob', DOMAIN); // not there yet
    assert.equal(await plain('bob', USERS.bob.password), 'success');
    await h.storage.accounts.setDisabled('bob', DOMAIN, true);
    try {
      assert.equal(await plain('bob', USERS.bob.password), 'account-disabled');
    } finally {
      await h.storage.accounts.setDisabled('bob', DOMAIN, false);
    }
  });

  test('directory down: temporary-auth-failure, readiness shows it (still ready), open sessions stay', async () => {
    const { c: online } = await secured();
    assert.equal((await online.plain('alice', USERS.alice.password)).name, 'success');
    await online.open(DOMAIN);
    await online.bind('phone');
    await dir.slapd.kill();
    try {
      assert.equal(await plain('alice', USERS.alice.password), 'temporary-auth-failure');
      const ready = await h.health.readiness();
      assert.equal(ready.ready, true, 'local domains and open sessions are not the directory');
      assert.match(ready.checks.directory ?? '', new RegExp(`${DOMAIN.replace('.', '\\.')}: unreachable`));
      online.send(xml('message', { to: `alice@${DOMAIN}`, id: 'd2' }, xml('body', {}, 'still here')));
      assert.equal((await online.element()).getChildText('body'), 'still here');
    } finally {
      await dir.slapd.start();
    }
    await waitFor(async () => (await h.health.readiness()).checks.directory === 'ok', { what: 'directory ok again' });
    assert.equal(await plain('alice', USERS.alice.password), 'success');
  });
});
