import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { InProcessBus, NatsBus, type Bus } from '#libs/bus';
import { parseJid } from '#libs/jid';
import { EmbeddedStorage } from '#libs/storage';
import { startNatsServer, tempDir, waitFor, type NatsServer, type TempDir } from '#libs/testing';
import { BlocklistCache } from './blocklist-cache.js';

const quiet = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
  child() {
    return quiet;
  },
} as never;

/** Two processes (caches) over one store and one bus: a change on one is seen by the other. */
function scenario(name: string, openBus: () => Promise<{ a: Bus; b: Bus; close(): Promise<void> }>) {
  describe(`blocklist cache over ${name}`, () => {
    let dir: TempDir;
    let storage: EmbeddedStorage;
    before(async () => {
      dir = tempDir('glider-block-');
      storage = new EmbeddedStorage({ dataDir: dir.path });
      await storage.open();
    });
    after(async () => {
      await storage.close();
      dir.remove();
    });

    test('a change on one process reaches the other one’s cache', async () => {
      const buses = await openBus();
      const { a, b } = buses;
      const opts = { ttlMs: 3_600_000, maxEntries: 100 };
      const one = new BlocklistCache(storage.blocklist, a, opts);
      const two = new BlocklistCache(storage.blocklist, b, opts);
      one.start();
      two.start();
      // Over NATS a subscription reaches the server asynchronously: a change published before
      // two's SUB arrived would never reach it (its cache kept the stale list: a 10 s timeout in CI).
      await Promise.all([a.flush(), b.flush()]);
      try {
        const owner = 'juliet@capulet.lit';
        const romeo = parseJid('romeo@montague.net/orchard');
        assert.equal(await two.blocks(owner, romeo), false); // cached empty now
        await storage.blocklist.add(owner, ['romeo@montague.net'], 10);
        await one.changed(owner);
        assert.equal(await one.blocks(owner, romeo), true);
        await waitFor(() => two.blocks(owner, romeo), { what: 'the other cache to drop its stale list' });
        await storage.blocklist.remove(owner, ['romeo@montague.net']);
        await two.changed(owner);
        await waitFor(async () => !(await one.blocks(owner, romeo)), { what: 'the first cache to see the unblock' });
      } finally {
        await one.stop();
        await two.stop();
        await buses.close();
      }
    });
  });
}

scenario('the in-process bus', async () => {
  const bus = new InProcessBus();
  return { a: bus, b: bus, close: () => bus.close() };
});

let nats: NatsServer | undefined;
after(async () => nats?.stop());
scenario('a real nats-server', async () => {
  nats ??= await startNatsServer({ jetstream: false });
  const a = await NatsBus.connect({ url: nats.url, requestTimeoutMs: 5_000 }, quiet);
  const b = await NatsBus.connect({ url: nats.url, requestTimeoutMs: 5_000 }, quiet);
  return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
});

/** A store where every list is empty, recording which owners were read, in order. */
function emptyLists() {
  const reads: string[] = [];
  return { reads, repo: { list: async (o: string) => (reads.push(o), []), add: async () => {}, remove: async () => {}, deleteAll: async () => {} } };
}

test('entries expire after ttlMs (the bound on a lost invalidation), and the oldest go past maxEntries', async () => {
  let now = 0;
  const { reads, repo } = emptyLists();
  const bus = new InProcessBus();
  const cache = new BlocklistCache(repo, bus, { ttlMs: 10, maxEntries: 2, now: () => now });
  await cache.of('a@x');
  await cache.of('a@x');
  assert.deepEqual(reads, ['a@x']);
  now = 11;
  await cache.of('a@x');
  assert.deepEqual(reads, ['a@x', 'a@x']);
  await cache.of('b@x');
  await cache.of('c@x'); // a@x is the least recently used: dropped
  await cache.of('a@x');
  assert.deepEqual(reads, ['a@x', 'a@x', 'b@x', 'c@x', 'a@x']);
  await bus.close();
});

test('blocks answers at once from a cached list, and with a promise while the list is read', async () => {
  const repo = { list: async () => ['romeo@montague.net'], add: async () => {}, remove: async () => {}, deleteAll: async () => {} };
  const bus = new InProcessBus();
  const cache = new BlocklistCache(repo, bus, { ttlMs: 60_000, maxEntries: 10 });
  const romeo = parseJid('romeo@montague.net/orchard');
  const first = cache.blocks('juliet@capulet.lit', romeo);
  assert.ok(first instanceof Promise);
  assert.equal(await first, true);
  assert.equal(cache.blocks('juliet@capulet.lit', romeo), true);
  assert.equal(cache.blocks('juliet@capulet.lit', parseJid('nurse@capulet.lit')), false);
  await bus.close();
});

test('a hit moves its list to the newest end at most once a second: what goes past maxEntries is the least recently used by that measure', async () => {
  let now = 0;
  const { reads, repo } = emptyLists();
  const bus = new InProcessBus();
  const cache = new BlocklistCache(repo, bus, { ttlMs: 60_000, maxEntries: 2, now: () => now });
  await cache.of('a@x');
  await cache.of('b@x');
  now = 999;
  assert.ok(cache.cached('a@x'), 'a hit');
  await cache.of('c@x'); // a@x's hit was under a second after it was read: a@x is still the oldest
  assert.equal(cache.cached('a@x'), undefined);
  assert.ok(cache.cached('b@x'));
  now = 2_000;
  assert.ok(cache.cached('b@x'), 'a hit a second later moves b@x past c@x');
  await cache.of('d@x');
  assert.ok(cache.cached('b@x'));
  assert.equal(cache.cached('c@x'), undefined);
  assert.deepEqual(reads, ['a@x', 'b@x', 'c@x', 'd@x']);
  await bus.close();
});
