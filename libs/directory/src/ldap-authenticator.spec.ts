import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { ldapSchema } from '#libs/config';
import { waitFor } from '#libs/testing';
import { LdapAuthenticator } from './ldap-authenticator.js';
import { PEOPLE, startTestDirectory, USERS, type TestDirectory } from './testing/test-directory.js';

/** Against a real slapd (libs/testing startSlapd): every verdict the edge turns into a SASL condition. */
describe('LdapAuthenticator against slapd', () => {
  let dir: TestDirectory;
  let logged = '';
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    }),
  );
  const open: LdapAuthenticator[] = [];
  const auth = (overrides: Record<string, unknown> = {}): LdapAuthenticator => {
    const a = new LdapAuthenticator(ldapSchema.parse(dir.ldapConfig(overrides)), logger);
    open.push(a);
    return a;
  };

  before(async () => {
    dir = await startTestDirectory();
  });
  after(async () => {
    await Promise.all(open.map((a) => a.close()));
    await dir?.stop();
  });

  test('search-then-bind over StartTLS with a service account: each user gets its verdict', async () => {
    const a = auth();
    assert.deepEqual(await a.verify('alice', USERS.alice.password), { kind: 'valid' });
    assert.deepEqual(await a.verify('alice', 'wrong'), { kind: 'invalid' });
    assert.deepEqual(await a.verify('nobody', 'whatever'), { kind: 'invalid' });
    // Right password, outside the login filter (not in cn=xmpp).
    assert.deepEqual(await a.verify('carol', USERS.carol.password), { kind: 'invalid' });
    // Disabled only after the right password; a wrong one says nothing about the account.
    assert.deepEqual(await a.verify('dave', USERS.dave.password), { kind: 'disabled' });
    assert.deepEqual(await a.verify('dave', 'wrong'), { kind: 'invalid' });
    assert.equal(a.health.problem, undefined);
  });

  test('an empty password is never an (unauthenticated) bind', async () => {
    assert.deepEqual(await auth().verify('alice', ''), { kind: 'invalid' });
    assert.deepEqual(
      await auth({ bindDn: undefined, bindPasswordFile: undefined, userBase: undefined, userDnPattern: `uid={username},${PEOPLE}` }).verify('alice', ''),
      { kind: 'invalid' },
    );
  });

  test('a username cannot change the filter or the DN (RFC 4515 / RFC 4514 escaping)', async () => {
    const a = auth({ loginFilter: undefined });
    assert.deepEqual(await a.verify('*', USERS.alice.password), { kind: 'invalid' });
    assert.deepEqual(await a.verify('alice)(uid=*', USERS.alice.password), { kind: 'invalid' });
    const direct = auth({
      bindDn: undefined,
      bindPasswordFile: undefined,
      userBase: undefined,
      userDnPattern: `uid={username},${PEOPLE}`,
      loginFilter: undefined,
    });
    assert.deepEqual(await direct.verify(`alice,${PEOPLE}`, USERS.alice.password), { kind: 'invalid' });
  });

  test('direct bind by DN pattern over ldaps://, filters read as the user', async () => {
    const a = auth({
      url: `ldaps://localhost:${dir.slapd.tlsPort}`,
      startTls: false,
      bindDn: undefined,
      bindPasswordFile: undefined,
      userBase: undefined,
      userDnPattern: `uid={username},${PEOPLE}`,
    });
    assert.deepEqual(await a.verify('bob', USERS.bob.password), { kind: 'valid' });
    assert.deepEqual(await a.verify('bob', 'wrong'), { kind: 'invalid' });
    assert.deepEqual(await a.verify('carol', USERS.carol.password), { kind: 'invalid' });
    assert.deepEqual(await a.verify('dave', USERS.dave.password), { kind: 'disabled' });
    assert.deepEqual(await a.verify('nobody', 'x'), { kind: 'invalid' });
  });

  test('the certificate is validated: an unknown CA or another name makes the directory unavailable, not a login', async () => {
    const noCa = await auth({ tls: {} }).verify('alice', USERS.alice.password);
    assert.equal(noCa.kind, 'unavailable');
    const otherName = await auth({ tls: { caFile: dir.caFile, serverName: 'ldap.elsewhere.test' } }).verify('alice', USERS.alice.password);
    assert.equal(otherName.kind, 'unavailable');
    const ldaps = await auth({ url: `ldaps://localhost:${dir.slapd.tlsPort}`, startTls: false, tls: {} }).verify('alice', USERS.alice.password);
    assert.equal(ldaps.kind, 'unavailable');
  });

  test('a wrong service password makes the directory unavailable (not the user wrong)', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = `${dir.bindPasswordFile}.wrong`;
    writeFileSync(file, 'not-the-service-pw\n');
    const v = await auth({ bindPasswordFile: file }).verify('alice', USERS.alice.password);
    assert.equal(v.kind, 'unavailable');
  });

  test('a pool of 2 serves 30 concurrent logins, each with its own verdict', async () => {
    const a = auth({ poolSize: 2 });
    const names = Array.from({ length: 30 }, (_, i) => (['alice', 'bob', 'carol'] as const)[i % 3]!);
    const verdicts = await Promise.all(names.map((n, i) => a.verify(n, i % 2 === 0 ? USERS[n].password : 'wrong')));
    verdicts.forEach((v, i) => assert.equal(v.kind, i % 2 === 0 && names[i] !== 'carol' ? 'valid' : 'invalid', `login ${i} (${names[i]})`));
  });

  test('a directory that does not answer times out: unavailable', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const tarpit: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    const port = (tarpit.address() as { port: number }).port;
    try {
      const v = await auth({
        url: `ldap://127.0.0.1:${port}`,
        tls: { caFile: dir.caFile, serverName: 'localhost' },
        operationTimeoutMs: 200,
        connectTimeoutMs: 200,
      }).verify('alice', USERS.alice.password);
      assert.equal(v.kind, 'unavailable');
    } finally {
      for (const s of sockets) s.destroy();
      tarpit.close();
    }
  });

  test('every pooled connection busy past acquireTimeoutMs: unavailable, and the waiting login does not hang', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const tarpit: Server = createServer((s) => void sockets.add(s));
    await new Promise<void>((r) => tarpit.listen(0, '127.0.0.1', r));
    const port = (tarpit.address() as { port: number }).port;
    try {
      const a = auth({
        url: `ldap://127.0.0.1:${port}`,
        tls: { caFile: dir.caFile, serverName: 'localhost' },
        poolSize: 1,
        acquireTimeoutMs: 1,
        operationTimeoutMs: 2_000,
      });
      const first = a.verify('alice', USERS.alice.password);
      const second = await a.verify('bob', USERS.bob.password);
      assert.equal(second.kind, 'unavailable');
      assert.match((second as { reason: string }).reason, /no free directory connection/);
      assert.equal((await first).kind, 'unavailable');
    } finally {
      for (const s of sockets) s.destroy();
      tarpit.close();
    }
  });

  test('directory down: unavailable and a health problem; back up: the probe clears it', async () => {
    const a = auth();
    assert.deepEqual(await a.verify('alice', USERS.alice.password), { kind: 'valid' });
    await dir.slapd.kill();
    try {
      const v = await a.verify('alice', USERS.alice.password);
      assert.equal(v.kind, 'unavailable');
      assert.match(a.health.problem ?? '', /unreachable/);
    } finally {
      await dir.slapd.start();
    }
    await waitFor(() => a.health.problem === undefined, { what: 'probe sees the directory again' });
    assert.deepEqual(await a.verify('alice', USERS.alice.password), { kind: 'valid' });
  });

  test('passwords are never logged', () => {
    assert.ok(logged.length > 0, 'something was logged');
    for (const secret of ['service-pw', USERS.alice.password, USERS.bob.password, USERS.dave.password])
      assert.ok(!logged.includes(secret), `${secret} in the log`);
  });
});
