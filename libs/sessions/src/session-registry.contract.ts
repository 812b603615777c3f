/** The session registry's behaviour, run on the in-process bus and on a real NATS server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import type { Bus } from '#libs/bus';
import { createSessionRegistry } from './kv-session-registry.js';
import type { SessionInfo, SessionRegistry } from './session-registry.js';

export interface RegistryBusUnderTest {
  bus: Bus;
  /** Another connection to the same bus (in-process: the same bus). */
  connect(): Promise<Bus>;
  cleanup(): Promise<void>;
}

const logger = { error: () => undefined, warn: () => undefined };
let n = 0;
const user = (): string => `u${process.pid}x${++n}@example.com`;

function session(jid: string, sessionId: string, edgeId = 'edge-1'): SessionInfo {
  return { jid, edgeId, sessionId, priority: 0, available: false, interested: false, boundAtMs: Date.now() };
}

export function runSessionRegistryContract(name: string, makeBus: () => Promise<RegistryBusUnderTest>): void {
  describe(`SessionRegistry: ${name}`, () => {
    let ut: RegistryBusUnderTest;
    let a: SessionRegistry;
    let b: SessionRegistry;
    before(async () => {
      ut = await makeBus();
      a = createSessionRegistry(ut.bus, { logger });
      b = createSessionRegistry(await ut.connect(), { logger });
      await a.start();
      await b.start();
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
      await ut?.cleanup();
    });

    test('bind, then get and ofUser from another registry at once', async () => {
      const bare = user();
      const s = session(`${bare}/phone`, 's1');
      assert.deepEqual(await a.bind(s, 'replace'), { ok: true });
      assert.deepEqual(await b.get(s.jid), s);
      assert.deepEqual(await b.ofUser(bare), [s]);
      assert.equal(await b.get(`${bare}/other`), undefined);
      assert.equal(await b.get(bare), undefined, 'a bare JID is never a session');
      assert.deepEqual(await b.ofUser(user()), []);
    });

    test('ofUser: found right after another registry bound it (before its watch may have); a user with no session: [] without listing the bucket', async () => {
      const bare = user();
      const s = session(`${bare}/pc`, 's-fresh');
      assert.deepEqual(await a.bind(s, 'replace'), { ok: true });
      assert.deepEqual(await b.ofUser(bare), [s]);
      // a registry whose bucket counts its listings (KvBucket.keys: a stream info request on NATS)
      const calls = new Map<string, number>();
      const counting = countingBus(await ut.connect(), calls);
      const c = createSessionRegistry(counting, { logger });
      await c.start();
      try {
        assert.deepEqual(await c.ofUser(user()), []);
        assert.equal(calls.get('keys') ?? 0, 0, 'nobody of that user was ever written: the watched cache is exact');
        assert.deepEqual(await c.ofUser(bare), [s]);
      } finally {
        await c.stop();
      }
    });

    test('replace returns the replaced session; refuse leaves the bound one', async () => {
      const bare = user();
      const first = session(`${bare}/r`, 's1', 'edge-1');
      const second = session(`${bare}/r`, 's2', 'edge-2');
      await a.bind(first, 'replace');
      assert.deepEqual(await b.bind(second, 'refuse'), { ok: false });
      assert.equal((await a.get(first.jid))?.sessionId, 's1');
      const out = await b.bind(second, 'replace');
      assert.equal(out.ok, true);
      assert.deepEqual(out.replaced, first);
      await waitFor(async () => (await a.get(first.jid))?.sessionId === 's2', { what: 'cache to see the replacement' });
    });

    test('concurrent binds of one full JID: exactly one winner with refuse, a clean chain with replace', async () => {
      for (let round = 0; round < 10; round++) {
        const jid = `${user()}/same`;
        const outs = await Promise.all([a.bind(session(jid, 'a'), 'refuse'), b.bind(session(jid, 'b'), 'refuse')]);
        assert.equal(outs.filter((o) => o.ok).length, 1, `round ${round}: one winner`);
        const winner = outs[0].ok ? 'a' : 'b';
        assert.equal((await a.get(jid))?.sessionId ?? (await b.get(jid))?.sessionId, winner);
      }
      for (let round = 0; round < 10; round++) {
        const jid = `${user()}/same`;
        const [oa, ob] = await Promise.all([a.bind(session(jid, 'a'), 'replace'), b.bind(session(jid, 'b'), 'replace')]);
        assert.ok(oa.ok && ob.ok);
        const replaced = [oa.replaced?.sessionId, ob.replaced?.sessionId].filter(Boolean);
        assert.equal(replaced.length, 1, `round ${round}: exactly one bind replaced the other`);
        const survivor = oa.replaced ? 'a' : 'b';
        assert.equal(replaced[0], survivor === 'a' ? 'b' : 'a');
        const fresh = createSessionRegistry(ut.bus, { logger });
        assert.equal((await fresh.get(jid))?.sessionId, survivor);
      }
    });

    test('update and remove are compare-and-set by session id', async () => {
      const bare = user();
      const s = session(`${bare}/r`, 's1');
      await a.bind(s, 'replace');
      assert.equal(await b.update(s.jid, 'other', { available: true }), false);
      const presence = new TextEncoder().encode('<presence/>');
      assert.equal(await b.update(s.jid, 's1', { available: true, priority: 5, lastPresence: presence }), true);
      const got = await b.get(s.jid);
      assert.equal(got?.available, true);
      assert.equal(got?.priority, 5);
      assert.deepEqual(Buffer.from(got.lastPresence!), Buffer.from(presence));
      await waitFor(async () => (await a.get(s.jid))?.priority === 5, { what: 'a to see the update' });
      assert.equal(await a.remove(s.jid, 'other'), undefined);
      const removed = await a.remove(s.jid, 's1');
      assert.equal(removed?.sessionId, 's1');
      assert.equal(removed?.priority, 5);
      assert.equal(await a.remove(s.jid, 's1'), undefined, 'only one remove wins');
      assert.equal(await a.get(s.jid), undefined);
      await waitFor(async () => (await b.get(s.jid)) === undefined, { what: 'b to see the removal' });
      assert.equal(await b.update(s.jid, 's1', { available: false }), false);
      const [r1, r2] = await Promise.all([a.remove(s.jid, 's1'), b.remove(s.jid, 's1')]);
      assert.equal(r1, undefined);
      assert.equal(r2, undefined);
    });

    test('update and remove with a current cache: a compare-and-set at its revision, no read first', async () => {
      const calls = new Map<string, number>();
      const c = createSessionRegistry(countingBus(await ut.connect(), calls), { logger });
      const s = session(`${user()}/r`, 's1');
      assert.deepEqual(await c.bind(s, 'replace'), { ok: true });
      calls.clear();
      assert.equal(await c.update(s.jid, 's1', { available: true, priority: 2 }), true);
      assert.equal(await c.update(s.jid, 's1', { interested: true }), true);
      assert.equal(calls.get('get') ?? 0, 0, 'the record bound and updated here is known at its revision');
      const stored = await createSessionRegistry(ut.bus, { logger }).get(s.jid);
      assert.deepEqual([stored?.available, stored?.priority, stored?.interested], [true, 2, true]);
      assert.equal((await c.remove(s.jid, 's1'))?.priority, 2);
      assert.equal(calls.get('get') ?? 0, 0);
      assert.equal(await createSessionRegistry(ut.bus, { logger }).get(s.jid), undefined);
    });

    test('a stale cache decides nothing: update and remove read the store when the record moved on', async () => {
      // no watch: this registry's cache holds only what it wrote or read itself
      const c = createSessionRegistry(await ut.connect(), { logger });
      const s = session(`${user()}/r`, 's1');
      await c.bind(s, 'replace');
      assert.equal(await a.update(s.jid, 's1', { priority: 7 }), true);
      assert.equal(await c.update(s.jid, 's1', { available: true }), true);
      const fresh = (): Promise<SessionInfo | undefined> => createSessionRegistry(ut.bus, { logger }).get(s.jid);
      assert.deepEqual([(await fresh())?.priority, (await fresh())?.available], [7, true], "the other registry's change kept");
      // replaced elsewhere: c still caches s1, which must neither update nor remove s2's record
      const out = await a.bind(session(s.jid, 's2', 'edge-2'), 'replace');
      assert.equal(out.ok && out.replaced?.sessionId, 's1');
      assert.equal(await c.update(s.jid, 's1', { priority: 1 }), false);
      assert.equal(await c.remove(s.jid, 's1'), undefined);
      assert.deepEqual([(await fresh())?.sessionId, (await fresh())?.priority], ['s2', 0]);
      assert.equal((await a.remove(s.jid, 's2'))?.sessionId, 's2');
    });

    test('lookup only (never started): get keeps what it read; fresh reads the store past it, and drops a record that is gone', async () => {
      const c = createSessionRegistry(await ut.connect(), { logger });
      const s = session(`${user()}/r`, 's1');
      await a.bind(s, 'replace');
      assert.equal((await c.get(s.jid))?.sessionId, 's1');
      await a.bind(session(s.jid, 's2', 'edge-2'), 'replace');
      assert.equal((await c.get(s.jid))?.sessionId, 's1', 'not watched: the cached record until asked afresh');
      assert.deepEqual([(await c.fresh(s.jid))?.sessionId, (await c.fresh(s.jid))?.edgeId], ['s2', 'edge-2']);
      assert.equal((await c.get(s.jid))?.sessionId, 's2', 'the fresh record is the cached one now');
      assert.equal((await a.remove(s.jid, 's2'))?.sessionId, 's2');
      assert.equal((await c.get(s.jid))?.sessionId, 's2');
      assert.equal(await c.fresh(s.jid), undefined);
      assert.equal(await c.get(s.jid), undefined, 'gone from the cache too');
      assert.equal(await c.fresh(user()), undefined, 'a bare JID is never a session');
    });

    test('ofUserCached: the cache only, never the store', async () => {
      const bare = user();
      const s = session(`${bare}/r`, 's1');
      await a.bind(s, 'replace');
      assert.deepEqual(a.ofUserCached(bare), [s], 'its own write');
      await waitFor(() => b.ofUserCached(bare).length === 1, { what: "b's watch to deliver the bind" });
      const c = createSessionRegistry(await ut.connect(), { logger });
      assert.deepEqual(c.ofUserCached(bare), [], 'not watched and never read: nothing, though the store has it');
      assert.equal((await c.ofUser(bare)).length, 1, 'ofUser reads the store');
      assert.equal(c.ofUserCached(bare).length, 1, 'and caches what it read');
      await a.remove(s.jid, 's1');
      assert.deepEqual(a.ofUserCached(bare), []);
      await waitFor(() => b.ofUserCached(bare).length === 0, { what: "b's watch to deliver the removal" });
    });

    test('lookup only: at most maxUnwatched records cached, the first cached going first', async () => {
      const c = createSessionRegistry(await ut.connect(), { logger, maxUnwatched: 2 });
      const ss = [1, 2, 3].map((i) => session(`${user()}/r`, `s${i}`));
      for (const s of ss) await a.bind(s, 'replace');
      for (const s of ss) assert.equal((await c.get(s.jid))?.sessionId, s.sessionId);
      assert.deepEqual(
        c.all().map((x) => x.sessionId),
        ['s2', 's3'],
      );
      // the evicted one is read again from the store when asked for
      assert.equal((await c.get(ss[0]!.jid))?.sessionId, 's1');
      assert.deepEqual(
        c.all().map((x) => x.sessionId),
        ['s3', 's1'],
      );
      for (const s of ss) await a.remove(s.jid, s.sessionId);
    });

    test('maxUnwatched bounds only a registry that was never started: a watched one holds every session, its replay included', async () => {
      const ss = [1, 2, 3].map((i) => session(`${user()}/r`, `w${i}`));
      for (const s of ss) await a.bind(s, 'replace');
      const d = createSessionRegistry(await ut.connect(), { logger, maxUnwatched: 2 });
      await d.start();
      try {
        const mine = (): string[] =>
          d
            .all()
            .filter((x) => ss.some((s) => s.jid === x.jid))
            .map((x) => x.sessionId)
            .sort();
        assert.deepEqual(mine(), ['w1', 'w2', 'w3'], 'the start-up replay kept all three');
        const more = session(`${user()}/r`, 'w4');
        await a.bind(more, 'replace');
        await waitFor(() => d.all().some((x) => x.jid === more.jid), { what: 'd to see w4' });
        assert.deepEqual(mine(), ['w1', 'w2', 'w3']);
        await a.remove(more.jid, 'w4');
      } finally {
        await d.stop();
        for (const s of ss) await a.remove(s.jid, s.sessionId);
      }
    });

    test("fresh on a watched registry: the store's record, as get gives it once the watch caught up", async () => {
      const s = session(`${user()}/r`, 's1');
      await a.bind(s, 'replace');
      await a.bind(session(s.jid, 's2', 'edge-2'), 'replace');
      assert.equal((await b.fresh(s.jid))?.sessionId, 's2', 'read from the store, whatever the watch has delivered so far');
      await waitFor(async () => (await b.get(s.jid))?.sessionId === 's2', { what: 'b to hold s2' });
      await a.remove(s.jid, 's2');
      await waitFor(async () => (await b.get(s.jid)) === undefined, { what: "b's watch to drop it" });
      assert.equal(await b.fresh(s.jid), undefined);
    });

    test('the carbons flag (XEP-0280) is shared: set on one, seen and cleared on the other', async () => {
      const bare = user();
      const s = session(`${bare}/phone`, 's1');
      await a.bind(s, 'replace');
      assert.equal((await a.get(s.jid))?.carbons, undefined);
      assert.equal(await a.update(s.jid, 's1', { carbons: true }), true);
      await waitFor(async () => (await b.ofUser(bare)).some((x) => x.carbons === true), { what: 'b to see carbons on' });
      assert.equal(await b.update(s.jid, 's1', { carbons: false }), true);
      await waitFor(async () => (await a.get(s.jid))?.carbons !== true, { what: 'a to see carbons off' });
    });

    test('the blocklist flag (XEP-0191 pushes) is shared: set on one, seen on the other', async () => {
      const bare = user();
      const s = session(`${bare}/phone`, 's1');
      await a.bind(s, 'replace');
      assert.equal((await a.get(s.jid))?.blocklist, undefined);
      assert.equal(await a.update(s.jid, 's1', { blocklist: true }), true);
      await waitFor(async () => (await b.ofUser(bare)).some((x) => x.blocklist === true), { what: 'b to see the blocklist flag' });
    });

    test('concurrent updates all land (CAS retries)', async () => {
      const s = session(`${user()}/r`, 's1');
      await a.bind(s, 'replace');
      await Promise.all([a.update(s.jid, 's1', { available: true }), b.update(s.jid, 's1', { interested: true }), a.update(s.jid, 's1', { priority: 3 })]);
      const fresh = createSessionRegistry(ut.bus, { logger });
      const got = await fresh.get(s.jid);
      assert.deepEqual([got?.available, got?.interested, got?.priority], [true, true, 3]);
    });

    test('the cache follows another registry: onEdge lists sessions per edge', async () => {
      const edge = `edge-${user()}`;
      const bare = user();
      const s1 = session(`${bare}/one`, 'x1', edge);
      const s2 = session(`${bare}/two`, 'x2', edge);
      await b.bind(s1, 'replace');
      await b.bind(s2, 'replace');
      await waitFor(() => a.onEdge(edge).length === 2, { what: 'a to cache both sessions of the edge' });
      assert.deepEqual(
        a
          .onEdge(edge)
          .map((s) => s.sessionId)
          .sort(),
        ['x1', 'x2'],
      );
      assert.deepEqual((await a.ofUser(bare)).map((s) => s.sessionId).sort(), ['x1', 'x2']);
      await b.remove(s1.jid, 'x1');
      await waitFor(() => a.onEdge(edge).length === 1, { what: 'a to drop the removed session' });
      assert.deepEqual(
        b.onEdge(edge).map((s) => s.sessionId),
        ['x2'],
      );
      assert.deepEqual(a.onEdge('no-such-edge'), []);
      assert.ok(a.edges().includes(edge));
      // all(): every session the cache holds, the other registry's included (admin online lists)
      assert.ok(a.all().some((s) => s.jid === s2.jid && s.sessionId === 'x2'));
      assert.ok(!a.all().some((s) => s.sessionId === 'x1'), 'a removed session is not listed');
      await b.remove(s2.jid, 'x2');
      await waitFor(() => !a.edges().includes(edge), { what: 'a to forget the edge without sessions' });
    });
  });
}

/** `bus` whose KV buckets count their calls by method name into `calls` (a NATS round trip each). */
function countingBus(bus: Bus, calls: Map<string, number>): Bus {
  const bound = <T extends object>(target: T, prop: string | symbol): unknown => {
    const v = Reflect.get(target, prop, target) as unknown;
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
  };
  return new Proxy(bus, {
    get(target, prop) {
      if (prop !== 'kv') return bound(target, prop);
      return async (...args: Parameters<Bus['kv']>) =>
        new Proxy(await target.kv(...args), {
          get(t, p) {
            if (typeof p === 'string') calls.set(p, (calls.get(p) ?? 0) + 1);
            return bound(t, p);
          },
        });
    },
  });
}
