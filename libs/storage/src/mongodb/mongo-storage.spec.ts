import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, configSchema } from '#libs/config';
import { generateSelfSigned } from '#libs/tls';
import { createStorage } from '../create-storage.js';
import { runStorageContract, type TestStorage } from '../contract/index.js';
import type { Account } from '../ports/accounts.repository.js';
import { StorageConflictError, StorageLimitError, StorageUnavailableError } from '../ports/errors.js';
import type { RosterItem } from '../ports/rosters.repository.js';
import { MongoStorage } from './mongo-storage.js';
import { mongoSettings } from './mongo-settings.js';
import { externalMongoUrl, startMongoTestServer, type MongoTestServer } from './testing/mongo-test-server.js';
import { silentLogger, testConfig, testStorage } from './testing/mongo-test-storage.js';
import { corruptMongoRecord, withRawDb } from './testing/mongo-raw.js';

// The shared contract, unchanged, against FerretDB (or $MONGODB_URL): one server and database per
// file; every makeStorage() is another replica on the same database.
{
  let server: Promise<MongoTestServer> | undefined;
  let database: string | undefined;
  runStorageContract(
    'mongodb',
    async () => {
      server ??= startMongoTestServer();
      const srv = await server;
      const db = (database ??= srv.database('glider_contract'));
      const storage = testStorage(srv, db) as MongoStorage & TestStorage;
      await storage.open();
      storage.corrupt = (kind, key) => corruptMongoRecord(srv.url, db, kind, key);
      return storage;
    },
    async () => {
      await (await server)?.stop();
    },
  );
}

const cred = { salt: 'c2FsdA==', iterations: 4096, storedKey: 'c3RvcmVk', serverKey: 'c2VydmVy' };
const account = (username: string, createdAt = new Date('2026-01-02T03:04:05Z')): Account => ({
  username,
  domain: 'example.com',
  scram: { 'SHA-1': cred, 'SHA-256': { ...cred, storedKey: `k-${username}` } },
  createdAt,
  disabled: false,
});
const contact = (jid: string, extra: Partial<RosterItem> = {}): RosterItem => ({
  jid,
  subscription: 'none',
  askOut: false,
  askIn: false,
  approved: false,
  groups: [],
  ...extra,
});

describe('MongoDB storage settings', () => {
  it('rejects a URL that is not a MongoDB connection string, naming the key', () => {
    assert.throws(
      () => mongoSettings(testConfig({ url: 'http://db:27017' })),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.match(err.message, /storage\.mongodb\.url/);
        return true;
      },
    );
    assert.throws(() => mongoSettings(testConfig({ url: 'mongodb://db:27017/?maxPoolSize=lots' })), /storage\.mongodb\.url/);
  });

  it('reads credentials from a file and refuses them twice or malformed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'glider-mongo-cred-'));
    try {
      const good = join(dir, 'good');
      await writeFile(good, 'glider:p:a:ss\n');
      const s = mongoSettings(testConfig({ credentialsFile: good }));
      assert.deepEqual(s.clientOptions.auth, { username: 'glider', password: 'p:a:ss' });
      const bad = join(dir, 'bad');
      await writeFile(bad, 'no-colon\n');
      assert.throws(() => mongoSettings(testConfig({ credentialsFile: bad })), /credentialsFile: .* "username:password"/);
      assert.throws(() => mongoSettings(testConfig({ credentialsFile: join(dir, 'missing') })), /cannot read/);
      assert.throws(() => mongoSettings(testConfig({ url: 'mongodb://u:p@db:27017', credentialsFile: good })), /carries credentials too/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('requires tls for a CA file and the CA file to exist', () => {
    assert.throws(() => mongoSettings(testConfig({ tlsCaFile: '/etc/hostname' })), /tls is false/);
    assert.throws(() => mongoSettings(testConfig({ tls: true, tlsCaFile: '/nonexistent/ca.pem' })), /does not exist/);
    assert.equal(mongoSettings(testConfig({ tls: true })).clientOptions.tls, true);
  });
});

describe('MongoDB storage over TLS', () => {
  it('connects with tls and tlsCaFile, and refuses a server it cannot verify', async (t) => {
    if (externalMongoUrl()) return t.skip('needs a FerretDB the test starts');
    const dir = await mkdtemp(join(tmpdir(), 'glider-mongo-tls-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    const { cert, key } = await generateSelfSigned(['localhost']);
    await writeFile(certFile, cert);
    await writeFile(keyFile, key);
    const server = await startMongoTestServer({ tls: { certFile, keyFile } });
    const storages: MongoStorage[] = [];
    try {
      const good = testStorage(server, server.database('glider_tls'), { tls: true, tlsCaFile: certFile });
      storages.push(good);
      await good.open();
      await good.vcards.set('a@localhost', '<vCard xmlns="vcard-temp"/>');
      assert.equal(await good.vcards.get('a@localhost'), '<vCard xmlns="vcard-temp"/>');
      const untrusted = testStorage(server, server.database('glider_tls'), { tls: true, connectTimeoutMs: 1_000 });
      storages.push(untrusted);
      await assert.rejects(untrusted.open(), /unreachable: .*(self.signed|certificate)/i);
    } finally {
      for (const s of storages) await s.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('MongoDB storage with credentials', () => {
  it('logs in with the credentials file and says so clearly when they are wrong or missing', async (t) => {
    if (externalMongoUrl()) return t.skip('needs a FerretDB the test starts');
    const dir = await mkdtemp(join(tmpdir(), 'glider-mongo-auth-'));
    const server = await startMongoTestServer({ auth: { username: 'glider', password: 'p:ss w0rd' } });
    const storages: MongoStorage[] = [];
    const make = (overrides: Parameters<typeof testStorage>[2]) => {
      const s = testStorage(server, server.database('glider_auth'), { connectTimeoutMs: 1_000, operationTimeoutMs: 1_000, ...overrides });
      storages.push(s);
      return s;
    };
    try {
      const good = join(dir, 'good');
      await writeFile(good, 'glider:p:ss w0rd\n');
      const ok = make({ credentialsFile: good });
      await ok.open();
      await ok.lastActivity.set('a@localhost', { at: new Date(7), status: 'away' });
      assert.deepEqual(await ok.lastActivity.get('a@localhost'), { at: new Date(7), status: 'away' });

      const bad = join(dir, 'bad');
      await writeFile(bad, 'glider:nope\n');
      await assert.rejects(make({ credentialsFile: bad }).open(), /refused the credentials/);
      const anonymous = make({});
      await anonymous.open().catch(() => undefined); // FerretDB lets an anonymous client connect...
      await assert.rejects(anonymous.vcards.get('a@localhost'), (err: Error) => {
        assert.ok(err instanceof StorageUnavailableError); // ...not read: the caller bounces
        assert.match(err.message, /MongoDB refused: .*requires authentication/);
        return true;
      });
    } finally {
      for (const s of storages) await s.close();
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('MongoDB storage (FerretDB or $MONGODB_URL)', () => {
  let server: MongoTestServer;
  let storage: MongoStorage;
  let database: string;

  before(async () => {
    server = await startMongoTestServer();
    database = server.database('glider_repos');
    storage = testStorage(server, database);
    await storage.open();
  });
  after(async () => {
    await storage?.close();
    await server?.stop();
  });

  it('is healthy once open and creates the declared indexes', async () => {
    assert.equal(await storage.health(), undefined);
    await storage.open(); // idempotent
  });

  it('a second replica opens the same database: ensuring existing indexes again succeeds', async () => {
    // FerretDB 1.x closed the connection when one createIndexes call named several existing indexes.
    const replica = testStorage(server, database);
    try {
      await replica.open();
      assert.equal(await replica.health(), undefined);
    } finally {
      await replica.close();
    }
  });

  it('is what createStorage() returns for storage.kind=mongodb', async () => {
    const config = configSchema.parse({
      storage: { kind: 'mongodb', mongodb: { url: server.url, database: server.database('glider_create') } },
    });
    const created = await createStorage(config, silentLogger);
    try {
      assert.ok(created instanceof MongoStorage);
      assert.match((await created.health()) ?? '', /not opened yet/);
      await created.open();
      assert.equal(await created.health(), undefined);
    } finally {
      await created.close();
    }
    assert.match((await created.health()) ?? '', /closed/);
  });

  it('accounts: create, conflict, get, list pages, credentials, delete', async () => {
    const { accounts } = storage;
    for (const u of ['carol', 'alice', 'bob']) await accounts.create(account(u));
    await assert.rejects(accounts.create(account('alice')), StorageConflictError);
    assert.deepEqual(await accounts.get('alice', 'example.com'), account('alice'));
    assert.equal(await accounts.get('alice', 'other.example'), undefined);
    assert.deepEqual(
      (await accounts.list('example.com', { limit: 2 })).map((a) => a.username),
      ['alice', 'bob'],
    );
    assert.deepEqual(
      (await accounts.list('example.com', { after: 'bob' })).map((a) => a.username),
      ['carol'],
    );
    assert.equal(await accounts.count('example.com'), 3);
    const scram = { 'SHA-1': { ...cred, salt: 'bmV3' }, 'SHA-256': { ...cred, salt: 'bmV3' } };
    assert.equal(await accounts.setCredentials('bob', 'example.com', scram), true);
    assert.deepEqual((await accounts.get('bob', 'example.com'))?.scram, scram);
    assert.equal(await accounts.setCredentials('nobody', 'example.com', scram), false);
    assert.equal(await accounts.delete('carol', 'example.com'), true);
    assert.equal(await accounts.delete('carol', 'example.com'), false);
    assert.equal(await accounts.count('example.com'), 2);
  });

  it('rosters: versions grow, removals are tombstones, changesSince answers or gives up', async () => {
    const { rosters } = storage;
    const owner = 'romeo@example.com';
    assert.deepEqual(await rosters.get(owner), { owner, version: 0, items: [] });
    const c1 = await rosters.modify(owner, 'juliet@example.com', () => contact('juliet@example.com', { name: 'J' }));
    assert.equal(c1?.version, 1);
    const c2 = await rosters.modify(owner, 'nurse@example.com', () => contact('nurse@example.com'));
    assert.equal(c2?.version, 2);
    assert.equal(await rosters.modify(owner, 'juliet@example.com', (cur) => cur), undefined);
    const c3 = await rosters.modify(owner, 'nurse@example.com', () => undefined);
    assert.deepEqual(c3, { version: 3, item: contact('nurse@example.com'), removed: true });
    const roster = await rosters.get(owner);
    assert.equal(roster.version, 3);
    assert.deepEqual(roster.items, [contact('juliet@example.com', { name: 'J' })]);
    assert.deepEqual(await rosters.getItem(owner, 'juliet@example.com'), contact('juliet@example.com', { name: 'J' }));
    assert.equal(await rosters.getItem(owner, 'nurse@example.com'), undefined);
    assert.deepEqual(await rosters.changesSince(owner, 1), [{ version: 3, item: contact('nurse@example.com'), removed: true }]);
    assert.deepEqual(await rosters.changesSince(owner, 3), []);
    assert.equal(await rosters.changesSince(owner, 9), undefined);
    await rosters.deleteAll(owner);
    assert.deepEqual(await rosters.get(owner), { owner, version: 4, items: [] });
    assert.equal(await rosters.changesSince(owner, 3), undefined);
  });

  it('rosters: a lost or stale head is rebuilt from the change log, and the next write repairs it', async () => {
    const owner = 'tybalt@example.com';
    await storage.rosters.modify(owner, 'a@example.com', () => contact('a@example.com'));
    type Head = { _id: string; version: number };
    const old = await withRawDb(server.url, database, (db) => db.collection<Head>('rosters').findOne({ _id: owner }));
    await storage.rosters.modify(owner, 'b@example.com', () => contact('b@example.com'));
    await storage.rosters.modify(owner, 'a@example.com', () => undefined);
    // a slow router puts back the head of version 1
    await withRawDb(server.url, database, (db) => db.collection<Head>('rosters').replaceOne({ _id: owner }, old!));
    assert.deepEqual(await storage.rosters.get(owner), { owner, version: 3, items: [contact('b@example.com')] });
    assert.deepEqual(await storage.rosters.changesSince(owner, 1), [
      { version: 2, item: contact('b@example.com'), removed: false },
      { version: 3, item: contact('a@example.com'), removed: true },
    ]);
    // the head is lost altogether
    await withRawDb(server.url, database, (db) => db.collection<Head>('rosters').deleteOne({ _id: owner }));
    assert.equal((await storage.rosters.get(owner)).version, 3);
    await storage.rosters.modify(owner, 'c@example.com', () => contact('c@example.com'));
    const head = await withRawDb(server.url, database, (db) => db.collection<Head>('rosters').findOne({ _id: owner }));
    assert.equal(head?.version, 4);
    assert.deepEqual((await storage.rosters.get(owner)).items, [contact('b@example.com'), contact('c@example.com')]);
  });

  it('offline: ordered seqs, quota, list, remove only what was named', async () => {
    const { offline } = storage;
    const owner = 'juliet@example.com';
    const seqs: number[] = [];
    for (let i = 0; i < 5; i++) seqs.push(await offline.push(owner, `<message id="${i}"/>`, 5));
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      seqs,
    );
    await assert.rejects(offline.push(owner, '<message/>', 5), StorageLimitError);
    assert.equal(await offline.count(owner), 5);
    const first = await offline.list(owner, 2);
    assert.deepEqual(
      first.map((m) => m.xml),
      ['<message id="0"/>', '<message id="1"/>'],
    );
    assert.ok(first.every((m) => m.owner === owner && m.storedAt instanceof Date));
    await offline.remove(
      owner,
      first.map((m) => m.seq),
    );
    assert.deepEqual(
      (await offline.list(owner)).map((m) => m.seq),
      seqs.slice(2),
    );
    await offline.deleteAll(owner);
    assert.equal(await offline.count(owner), 0);
    const next = await offline.push(owner, '<message id="after"/>', 5);
    assert.ok(next > seqs.at(-1)!, 'sequence numbers never go back');
  });

  it('vCards, private XML and last activity: set replaces, delete removes', async () => {
    const owner = 'mercutio@example.com';
    await storage.vcards.set(owner, '<vCard xmlns="vcard-temp"><FN>M</FN></vCard>');
    await storage.vcards.set(owner, '<vCard xmlns="vcard-temp"><FN>Mercutio</FN></vCard>');
    assert.equal(await storage.vcards.get(owner), '<vCard xmlns="vcard-temp"><FN>Mercutio</FN></vCard>');
    await storage.vcards.delete(owner);
    assert.equal(await storage.vcards.get(owner), undefined);

    await storage.privateXml.set(owner, 'storage', 'storage:bookmarks', '<storage xmlns="storage:bookmarks"/>');
    await storage.privateXml.set(owner, 'storage', 'storage:rosternotes', '<storage xmlns="storage:rosternotes"/>');
    assert.equal(await storage.privateXml.get(owner, 'storage', 'storage:bookmarks'), '<storage xmlns="storage:bookmarks"/>');
    assert.equal(await storage.privateXml.get(owner, 'other', 'storage:bookmarks'), undefined);
    await storage.privateXml.deleteAll(owner);
    assert.equal(await storage.privateXml.get(owner, 'storage', 'storage:rosternotes'), undefined);

    const at = new Date('2026-11-24T10:00:00Z');
    await storage.lastActivity.set(owner, { at, status: 'gone' });
    assert.deepEqual(await storage.lastActivity.get(owner), { at, status: 'gone' });
    await storage.lastActivity.delete(owner);
    assert.equal(await storage.lastActivity.get(owner), undefined);
  });
});
