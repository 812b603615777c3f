import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { after, test } from 'node:test';
import { StorageUnavailableError } from '../ports/errors.js';
import { EmbeddedDatabase } from './embedded-database.js';
import { WriteBatcher } from './write-batcher.js';

const dir = mkdtempSync(join(tmpdir(), 'glider-batcher-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A database whose write transactions are counted, with a table `t (n INTEGER NOT NULL)`. */
function open(name: string) {
  const db = new EmbeddedDatabase({ file: join(dir, `${name}.db`) });
  db.open();
  db.write((d) => d.exec('CREATE TABLE t (n INTEGER NOT NULL)'));
  let transactions = 0;
  const write = db.write.bind(db);
  db.write = <T>(fn: (d: DatabaseSync) => T): T => {
    transactions++;
    return write(fn);
  };
  const rows = () => db.read((d) => (d.prepare('SELECT n FROM t ORDER BY n').all() as { n: number }[]).map((r) => r.n));
  return { db, rows, transactions: () => transactions };
}

const insert = (d: DatabaseSync, n: number | null) => void d.prepare('INSERT INTO t (n) VALUES (?)').run(n);

test('writes made in one turn are committed in one transaction, each caller told when its row is in', async () => {
  const { db, rows, transactions } = open('one-turn');
  const b = new WriteBatcher<number>(db, insert);
  await Promise.all([1, 2, 3, 4, 5].map((n) => b.write(n)));
  assert.deepEqual(rows(), [1, 2, 3, 4, 5]);
  assert.equal(transactions(), 1);
  await b.write(6);
  assert.equal(transactions(), 2, 'a later turn is a new transaction');
  db.close();
});

test('a bad row fails its own caller only; the others are committed', async () => {
  const { db, rows } = open('bad-row');
  const b = new WriteBatcher<number | null>(db, insert);
  const results = await Promise.allSettled([b.write(1), b.write(null), b.write(3)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.match(String((results[1] as PromiseRejectedResult).reason), /NOT NULL/);
  assert.deepEqual(rows(), [1, 3]);
  db.close();
});

test('a closed database rejects every waiting write as unavailable', async () => {
  const { db } = open('closed');
  const b = new WriteBatcher<number>(db, insert);
  const pending = [b.write(1), b.write(2)];
  db.close();
  for (const p of pending) await assert.rejects(p, StorageUnavailableError);
});
