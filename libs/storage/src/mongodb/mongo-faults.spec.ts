import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Server } from 'node:http';
import { HealthRegistry, startHttpServer } from '#libs/telemetry';
import { after, before, describe, it } from 'node:test';
import { StorageRecordError, StorageUnavailableError } from '../ports/errors.js';
import type { RosterItem } from '../ports/rosters.repository.js';
import type { MongoStorage } from './mongo-storage.js';
import { withRawDb } from './testing/mongo-raw.js';
import { startMongoTestServer, type MongoTestServer } from './testing/mongo-test-server.js';
import { testStorage } from './testing/mongo-test-storage.js';

const contact = (jid: string): RosterItem => ({
  jid,
  subscription: 'both',
  askOut: false,
  askIn: false,
  approved: false,
  groups: [],
});

/** Polls `check` every 100 ms, at most `tries` times; never asserts on time itself. */
async function eventually(what: string, check: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: not reached after ${tries} polls`);
}

async function downFor(server: MongoTestServer, ms: number): Promise<void> {
  await server.kill();
  await new Promise((r) => setTimeout(r, ms));
  await server.start();
}

describe('MongoDB storage faults', () => {
  describe('MongoDB unreachable at start', () => {
    let server: MongoTestServer;
    let storage: MongoStorage | undefined;
    let http: Server | undefined;
    before(async () => {
      server = await startMongoTestServer({ start: false });
    });
    after(async () => {
      http?.close();
      await storage?.close();
      await server?.stop();
    });

    /** What /healthz/ready answers, the way the runtime wires storage.health() into it. */
    const ready = async (port: number): Promise<{ status: number; checks: Record<string, string> }> => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz/ready`);
      return { status: res.status, checks: ((await res.json()) as { checks: Record<string, string> }).checks };
    };

    it('stays unready saying why, then becomes ready when the server appears, without a restart', async (t) => {
      if (server.external) return t.skip('needs a server the test can start ($MONGODB_URL is set)');
      storage = testStorage(server, server.database('glider_unreachable'), { connectTimeoutMs: 500, operationTimeoutMs: 1_000 });
      await assert.rejects(storage.open(), (err: Error) => {
        assert.ok(err instanceof StorageUnavailableError, String(err));
        assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${server.port} unreachable`));
        return true;
      });
      assert.match((await storage.health()) ?? '', /unreachable: .*ECONNREFUSED/);
      const health = new HealthRegistry();
      const s = storage;
      health.register('storage', () => s.health());
      const started = await startHttpServer(health, '127.0.0.1', 0);
      http = started.server;
      const unready = await ready(started.port);
      assert.equal(unready.status, 503);
      assert.match(unready.checks.storage ?? '', /unreachable: .*ECONNREFUSED/);
      // a call meanwhile is retried within its bound, then fails so the caller can bounce it
      await assert.rejects(storage.offline.push('a@localhost', '<message/>', 10), StorageUnavailableError);

      await server.start();
      await eventually('open() succeeds once MongoDB is up', async () => {
        try {
          await storage!.open();
          return true;
        } catch {
          return false;
        }
      });
      assert.equal(await storage.health(), undefined);
      assert.equal((await ready(started.port)).checks.storage, 'ok');
      await storage.vcards.set('a@localhost', '<vCard xmlns="vcard-temp"/>');
      assert.equal(await storage.vcards.get('a@localhost'), '<vCard xmlns="vcard-temp"/>');

      // and it follows the server going away and coming back
      await server.kill();
      await eventually('health reports the outage', async () => /unreachable/.test((await storage!.health()) ?? ''));
      await server.start();
      await eventually('health recovers', async () => (await storage!.health()) === undefined);
    });
  });

  describe('MongoDB restarted while traffic flows', () => {
    let server: MongoTestServer;
    let storage: MongoStorage;
    let retries = 0;
    // counts the retry log lines, to show the restart really hit operations in flight
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          if (chunk.toString().includes('retrying')) retries++;
          done();
        },
      }),
    );
    before(async () => {
      server = await startMongoTestServer();
      const opts = { connectTimeoutMs: 1_000, operationTimeoutMs: 15_000 };
      storage = testStorage(server, server.database('glider_restart'), opts, logger);
      await storage.open();
    });
    after(async () => {
      await storage?.close();
      await server?.stop();
    });

    it('loses no accepted write: each push and roster change is stored once, or fails with StorageUnavailableError', async (t) => {
      if (server.external) return t.skip('needs a server the test can restart ($MONGODB_URL is set)');
      const owner = 'juliet@example.com';
      const pushes = 120;
      const workers = 3;
      const stored = new Map<string, number>();
      const refused: string[] = [];
      const reasons: string[] = [];
      const changed: string[] = [];
      let next = 0;
      let restarted: Promise<void> | undefined;

      const worker = async (w: number): Promise<void> => {
        while (next < pushes) {
          const i = next++;
          const xml = `<message id="m${i}"/>`;
          const roster = storage.rosters.modify(owner, `c${i}@example.com`, () => contact(`c${i}@example.com`));
          try {
            stored.set(xml, await storage.offline.push(owner, xml, 10_000));
          } catch (err) {
            assert.ok(err instanceof StorageUnavailableError, `push ${i}: ${String(err)}`);
            refused.push(xml);
            reasons.push(err.message);
          }
          try {
            if (await roster) changed.push(`c${i}@example.com`);
          } catch (err) {
            assert.ok(err instanceof StorageUnavailableError, `roster ${i}: ${String(err)}`);
          }
          // worker 0 kills the server (SIGKILL) a third of the way in and keeps it down longer than
          // server selection waits, while the others keep writing
          if (w === 0 && i >= pushes / 3 && !restarted) restarted = downFor(server, 2_500);
        }
      };
      await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
      await restarted;
      assert.ok(restarted, 'the server was restarted during the run');
      assert.ok(retries > 0, 'operations were retried through the restart');

      const listed = await storage.offline.list(owner);
      const xmls = listed.map((m) => m.xml);
      assert.equal(new Set(xmls).size, xmls.length, 'no message stored twice');
      for (const [xml, seq] of stored) {
        assert.equal(listed.find((m) => m.xml === xml)?.seq, seq, `accepted ${xml} is stored under its seq`);
      }
      for (const xml of xmls) assert.ok(stored.has(xml) || refused.includes(xml), `${xml} was pushed`);
      assert.deepEqual(
        listed.map((m) => m.seq),
        [...listed.map((m) => m.seq)].sort((a, b) => a - b),
      );
      const roster = await storage.rosters.get(owner);
      const jids = new Set(roster.items.map((i) => i.jid));
      for (const jid of changed) assert.ok(jids.has(jid), `accepted roster change for ${jid} kept`);
      t.diagnostic(`stored ${stored.size}, refused ${refused.length}, roster changes ${changed.length}, retries ${retries}`);
      for (const r of reasons) t.diagnostic(`refused: ${r}`);
    });
  });

  describe('records written by a newer release or damaged by hand', () => {
    let server: MongoTestServer;
    let storage: MongoStorage;
    let database: string;
    before(async () => {
      server = await startMongoTestServer();
      database = server.database('glider_records');
      storage = testStorage(server, database);
      await storage.open();
    });
    after(async () => {
      await storage?.close();
      await server?.stop();
    });

    it('fails only the record concerned with StorageRecordError', async () => {
      await storage.vcards.set('new@localhost', '<vCard xmlns="vcard-temp"/>');
      await storage.vcards.set('ok@localhost', '<vCard xmlns="vcard-temp"/>');
      await storage.lastActivity.set('bad@localhost', { at: new Date(1), status: '' });
      for (let i = 0; i < 3; i++) await storage.offline.push('o@localhost', `<message id="${i}"/>`, 10);
      await withRawDb(server.url, database, async (db) => {
        await db.collection<{ _id: string }>('vcards').updateOne({ _id: 'new@localhost' }, { $set: { schema: 2, shape: 'v2' } });
        await db.collection<{ _id: string }>('last_activity').updateOne({ _id: 'bad@localhost' }, { $set: { at: 'yesterday' } });
        await db.collection<{ _id: string }>('offline').updateOne({ _id: 'o@localhost/2' }, { $set: { xml: 42 } });
      });
      await assert.rejects(storage.vcards.get('new@localhost'), (err: Error) => {
        assert.ok(err instanceof StorageRecordError);
        assert.match(err.message, /vcard new@localhost: written by a newer Glider \(schema 2/);
        return true;
      });
      assert.equal(await storage.vcards.get('ok@localhost'), '<vCard xmlns="vcard-temp"/>');
      await assert.rejects(storage.lastActivity.get('bad@localhost'), /last activity bad@localhost: corrupted record \(at:/);
      // a list leaves the damaged message out (and logs it); the others are still delivered
      assert.deepEqual(
        (await storage.offline.list('o@localhost')).map((m) => m.xml),
        ['<message id="0"/>', '<message id="2"/>'],
      );
      assert.equal(await storage.health(), undefined);
    });
  });
});
