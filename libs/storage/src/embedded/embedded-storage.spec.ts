import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { runStorageContract, type TestStorage } from '../contract/index.js';
import { StorageLimitError, StorageUnavailableError } from '../ports/errors.js';
import { EmbeddedDatabase, STATEMENT_CACHE_MAX } from './embedded-database.js';
import { EmbeddedStorage } from './embedded-storage.js';
import { corruptEmbeddedRecord } from './embedded.test-hooks.js';
import { MIGRATIONS } from './embedded.schema.js';
import { newArchiveId } from '../ports/archive-id.js';

const dataDir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));

runStorageContract(
  'embedded',
  async () => {
    const storage = new EmbeddedStorage({ dataDir: join(dataDir, 'nested', 'dir') }) as EmbeddedStorage & TestStorage;
    await storage.open();
    storage.corrupt = (kind, key) => corruptEmbeddedRecord(storage.file, kind, key);
    return storage;
  },
  async () => rmSync(dataDir, { recursive: true, force: true }),
);

describe('embedded storage specifics', () => {
  it('migrating a version-1 database counts the bytes of the offline messages already stored', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    try {
      const db = new DatabaseSync(join(dir, 'glider.db'));
      db.exec(MIGRATIONS[0]!);
      db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)');
      const old = `<message xmlns="jabber:client"><body>${'é'.repeat(100)}</body></message>`;
      db.prepare('INSERT INTO offline (owner, seq, xml, stored_at) VALUES (?, 1, ?, 0)').run('o@localhost', old);
      db.prepare('INSERT INTO offline_seq (owner, next) VALUES (?, 2)').run('o@localhost');
      db.close();
      const storage = new EmbeddedStorage({ dataDir: dir });
      await storage.open();
      const size = Buffer.byteLength(old);
      await assert.rejects(storage.offline.push('o@localhost', old, { messages: 10, bytes: 2 * size - 1 }), StorageLimitError);
      await storage.offline.push('o@localhost', old, { messages: 10, bytes: 2 * size });
      await storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the archive moved to a rowid table keeps its records, their order and one record per (owner, id)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    try {
      const step = MIGRATIONS.findIndex((m) => m.includes('CREATE TABLE archive_rows'));
      assert.ok(step > 0);
      const db = new DatabaseSync(join(dir, 'glider.db'));
      for (const m of MIGRATIONS.slice(0, step)) db.exec(m);
      db.exec(`CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (${step})`);
      const row = db.prepare('INSERT INTO archive (owner, id, domain, with_bare, with_full, ts, direction, xml) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const ids = [newArchiveId(1000), newArchiveId(2000), newArchiveId(3000)];
      for (const [i, id] of ids.entries())
        row.run('o@localhost', id, 'localhost', 'p@localhost', 'p@localhost/r', 1000 * (i + 1), 'in', `<message><body>${i}</body></message>`);
      db.close();
      const storage = new EmbeddedStorage({ dataDir: dir });
      await storage.open();
      const page = await storage.archive.query('o@localhost', { with: 'p@localhost/r' }, { max: 10 });
      assert.deepEqual(
        page.messages.map((m) => [m.id, m.xml]),
        ids.map((id, i) => [id, `<message><body>${i}</body></message>`]),
      );
      await storage.archive.append({ ...page.messages[1]!, xml: '<message><body>again</body></message>' });
      assert.equal((await storage.archive.query('o@localhost', {}, { max: 10 })).count, 3, 'still unique per (owner, id)');
      await storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses WAL and records the schema version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    try {
      const storage = new EmbeddedStorage({ dataDir: dir });
      await storage.open();
      await storage.open(); // idempotent
      await storage.close();
      const db = new DatabaseSync(join(dir, 'glider.db'));
      assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
      assert.equal((db.prepare('SELECT version FROM schema_version').get() as { version: number }).version, MIGRATIONS.length);
      db.exec('UPDATE schema_version SET version = 99');
      db.close();
      await assert.rejects(new EmbeddedStorage({ dataDir: dir }).open(), StorageUnavailableError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a data directory it cannot create as unavailable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    try {
      writeFileSync(join(dir, 'file'), '');
      await assert.rejects(new EmbeddedStorage({ dataDir: join(dir, 'file', 'sub') }).open(), (err: Error) => {
        assert.ok(err instanceof StorageUnavailableError);
        assert.match(err.message, /cannot open .*glider\.db/);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an archive append made just before close is committed before it, not failed by the closed database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    try {
      const storage = new EmbeddedStorage({ dataDir: dir });
      await storage.open();
      // not awaited: the append waits for the end of the turn, the close does not
      const last = storage.archive.append({
        owner: 'kept@localhost',
        id: newArchiveId(),
        with: 'p@localhost/r',
        timestamp: new Date(),
        direction: 'in',
        xml: '<message/>',
      });
      await storage.close();
      await last;
      const again = new EmbeddedStorage({ dataDir: dir });
      await again.open();
      assert.equal((await again.archive.query('kept@localhost', {}, { max: 10 })).count, 1);
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports unavailable before open and after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    try {
      const storage = new EmbeddedStorage({ dataDir: dir });
      await assert.rejects(storage.accounts.count('localhost'), StorageUnavailableError);
      assert.match((await storage.health()) ?? '', /not open/);
      await storage.open();
      assert.equal(await storage.health(), undefined);
      await storage.close();
      await assert.rejects(storage.vcards.get('a@localhost'), StorageUnavailableError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prepares each SQL text once per connection, and a reused statement keeps no old bindings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'glider-embedded-'));
    const database = new EmbeddedDatabase({ file: join(dir, 'glider.db') });
    try {
      database.open();
      const first = database.read((db) => db.prepare('SELECT ? AS a, ? AS b'));
      assert.equal(
        database.read((db) => db.prepare('SELECT ? AS a, ? AS b')),
        first,
      );
      assert.deepEqual({ ...(first.get(1, 2) as object) }, { a: 1, b: 2 });
      assert.deepEqual({ ...(first.get(3) as object) }, { a: 3, b: null });
      // the cache stays bounded even if SQL texts were ever built at run time
      for (let i = 0; i <= STATEMENT_CACHE_MAX; i++) database.read((db) => db.prepare(`SELECT ${i} AS n`).get());
      assert.notEqual(
        database.read((db) => db.prepare('SELECT ? AS a, ? AS b')),
        first,
      );
      database.close();
      database.open(); // a new connection, a new cache
      assert.deepEqual({ ...(database.read((db) => db.prepare('SELECT ? AS a, ? AS b').get(4, 5)) as object) }, { a: 4, b: 5 });
    } finally {
      database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
