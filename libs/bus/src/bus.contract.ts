/**
 * The one contract every Bus implementation passes (in-process, NATS, a worker port): run by
 * inprocess-bus.spec.ts, nats-bus.spec.ts and port-bus.spec.ts; Delivery's cases on each are in
 * delivery.contract.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { BusNoRespondersError, BusTimeoutError, KvConflictError, type Bus, type BusMessage, type KvEntry } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import { PartitionedConsumer } from './partitioned-consumer.js';
import { requestRetrying } from './request-retrying.js';
import { enc, unique } from './contract-support.js';
import { deliveryCases } from './delivery.contract.js';

export interface BusUnderTest {
  bus: Bus;
  /** Another connection to the same bus (NATS: a second client; in-process: the same bus). */
  connect(): Promise<Bus>;
  cleanup(): Promise<void>;
}

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export const quietLogger = (): BusLogger & { errors: unknown[] } => {
  const errors: unknown[] = [];
  return { errors, error: (obj) => errors.push(obj), warn: () => undefined, info: () => undefined, debug: () => undefined };
};

export function runBusContract(name: string, makeBus: () => Promise<BusUnderTest>): void {
  describe(`Bus contract: ${name}`, () => {
    let ut: BusUnderTest;
    let bus: Bus;
    before(async () => {
      ut = await makeBus();
      bus = ut.bus;
    });
    after(async () => {
      await ut?.cleanup();
    });

    deliveryCases(() => ut);

    test('10,000 messages from one publisher arrive in order', async () => {
      const subject = `${unique('order')}.x`;
      const got: number[] = [];
      const sub = bus.subscribe(subject, (m) => {
        got.push(Number(dec(m.data)));
      });
      const other = await ut.connect();
      await other.flush();
      await bus.flush();
      for (let i = 0; i < 10_000; i++) other.publish(subject, enc(String(i)));
      await other.flush();
      await waitFor(() => got.length >= 10_000, { what: '10,000 messages' });
      assert.deepEqual(
        got,
        Array.from({ length: 10_000 }, (_, i) => i),
      );
      await sub.unsubscribe();
    });

    test('publish never runs a handler synchronously', async () => {
      const subject = unique('async');
      let ran = false;
      const sub = bus.subscribe(subject, () => {
        ran = true;
      });
      await bus.flush();
      bus.publish(subject, enc('x'));
      assert.equal(ran, false);
      await waitFor(() => ran, { what: 'delivery' });
      await sub.unsubscribe();
    });

    test('wildcards: * matches one token, > one or more', async () => {
      const base = unique('wild');
      const star: string[] = [];
      const gt: string[] = [];
      const s1 = bus.subscribe(`${base}.*.c`, (m) => void star.push(m.subject));
      const s2 = bus.subscribe(`${base}.>`, (m) => void gt.push(m.subject));
      await bus.flush();
      for (const s of [`${base}.b.c`, `${base}.b.d.c`, `${base}.b`, `${base}.x.c`]) bus.publish(s, enc(s));
      bus.publish(`${base}x.b.c`, enc('no'));
      await bus.flush();
      await waitFor(() => gt.length >= 4 && star.length >= 2, { what: 'wildcard deliveries' });
      assert.deepEqual(star.sort(), [`${base}.b.c`, `${base}.x.c`]);
      assert.deepEqual(gt.sort(), [`${base}.b`, `${base}.b.c`, `${base}.b.d.c`, `${base}.x.c`].sort());
      await s1.unsubscribe();
      await s2.unsubscribe();
    });

    test('a queue group delivers each message to exactly one member; plain subscribers get all', async () => {
      const subject = unique('queue');
      const seen = new Map<string, number>();
      const perMember = [0, 0, 0];
      const other = await ut.connect();
      const subs = [0, 1, 2].map((i) =>
        (i === 2 ? other : bus).subscribe(
          subject,
          (m) => {
            perMember[i]!++;
            seen.set(dec(m.data), (seen.get(dec(m.data)) ?? 0) + 1);
          },
          { queue: 'workers' },
        ),
      );
      let plain = 0;
      const p = bus.subscribe(subject, () => void plain++);
      await bus.flush();
      await other.flush();
      for (let i = 0; i < 300; i++) bus.publish(subject, enc(String(i)));
      await bus.flush();
      await waitFor(() => plain >= 300 && seen.size >= 300, { what: '300 queue deliveries' });
      await bus.flush();
      await other.flush();
      assert.equal(seen.size, 300);
      assert.ok(
        [...seen.values()].every((n) => n === 1),
        'every message once',
      );
      assert.equal(perMember[0]! + perMember[1]! + perMember[2]!, 300);
      for (const s of [...subs, p]) await s.unsubscribe();
    });

    test('request/reply resolves with the first reply', async () => {
      const subject = unique('req');
      const sub = bus.subscribe(subject, (m) => {
        assert.equal(m.replyExpected, true);
        m.respond(enc(`re:${dec(m.data)}`));
      });
      const other = await ut.connect();
      await bus.flush();
      assert.equal(dec(await other.request(subject, enc('ping'), { timeoutMs: 5_000 })), 're:ping');
      await sub.unsubscribe();
    });

    test('request rejects with BusTimeoutError when nobody answers in time', async () => {
      const subject = unique('slow');
      const sub = bus.subscribe(subject, () => undefined);
      await bus.flush();
      await assert.rejects(bus.request(subject, enc('x'), { timeoutMs: 200 }), BusTimeoutError);
      await sub.unsubscribe();
    });

    test('request rejects with BusNoRespondersError when nobody subscribes', async () => {
      await assert.rejects(bus.request(unique('nobody'), enc('x'), { timeoutMs: 5_000 }), BusNoRespondersError);
    });

    test('a handler that throws is logged and the subscription goes on', async () => {
      const subject = unique('throws');
      const got: string[] = [];
      const sub = bus.subscribe(subject, async (m) => {
        const s = dec(m.data);
        if (s === 'sync') throw new Error('boom');
        if (s === 'async') return Promise.reject(new Error('boom'));
        got.push(s);
      });
      await bus.flush();
      for (const s of ['a', 'sync', 'b', 'async', 'c']) bus.publish(subject, enc(s));
      await bus.flush();
      await waitFor(() => got.length >= 3, { what: 'messages after the throws' });
      assert.deepEqual(got, ['a', 'b', 'c']);
      await sub.unsubscribe();
    });

    test('KV: create, update and delete are compare-and-set', async () => {
      const kv = await bus.kv(unique('cas'));
      const r1 = await kv.create('a.b', enc('1'));
      await assert.rejects(kv.create('a.b', enc('2')), KvConflictError);
      const r2 = await kv.update('a.b', enc('2'), r1);
      assert.ok(r2 > r1);
      await assert.rejects(kv.update('a.b', enc('3'), r1), KvConflictError);
      assert.equal(dec((await kv.get('a.b'))!.value), '2');
      assert.equal((await kv.get('a.b'))!.revision, r2);
      await assert.rejects(kv.delete('a.b', r1), KvConflictError);
      await kv.delete('a.b', r2);
      assert.equal(await kv.get('a.b'), undefined);
      const r3 = await kv.create('a.b', enc('again'));
      assert.ok(r3 > r2);
      assert.equal(await kv.get('missing'), undefined);
      const r4 = await kv.put('a.b', enc('put'));
      assert.ok(r4 > r3);
      await kv.delete('a.b');
      assert.equal(await kv.get('a.b'), undefined);
    });

    test('KV: purgeDeletes drops old delete markers only', async () => {
      const kv = await bus.kv(unique('purge'));
      await kv.put('gone', enc('x'));
      await kv.delete('gone');
      await kv.put('kept', enc('y'));
      assert.equal(await kv.purgeDeletes(60_000), 0, 'a fresh marker stays');
      assert.equal(await kv.purgeDeletes(0), 1);
      assert.deepEqual(await kv.keys(), ['kept']);
      await kv.create('gone', enc('again'));
      assert.equal(dec((await kv.get('gone'))!.value), 'again');
    });

    test('KV: a put keeps its own copy: the caller may reuse its buffer at once', async () => {
      const kv = await bus.kv(unique('copy'));
      const buf = Buffer.from('first');
      await kv.put('k', buf);
      buf.write('XXXXX');
      assert.equal(dec((await kv.get('k'))!.value), 'first');
    });

    test('KV: purgeUpTo removes what matches and was written up to a revision, and nothing else', async () => {
      const kv = await bus.kv(unique('trim'));
      const r1 = await kv.put('q.s1.a', enc('1'));
      const r2 = await kv.put('q.s1.b', enc('2'));
      await kv.put('q.s2.a', enc('other session'));
      await kv.put('q.s1.c', enc('3'));
      await kv.put('s.s1', enc('record'));
      await kv.purgeUpTo('q.s1.*', r2);
      assert.deepEqual((await kv.keys('q.s1.*')).sort(), ['q.s1.c']);
      assert.equal(await kv.get('q.s1.a'), undefined);
      assert.deepEqual((await kv.keys()).sort(), ['q.s1.c', 'q.s2.a', 's.s1']);
      await kv.purgeUpTo('q.s1.*', r1); // already gone: nothing happens
      assert.deepEqual((await kv.keys('q.s1.*')).sort(), ['q.s1.c']);
      await kv.put('q.s1.a', enc('again'));
      assert.equal(dec((await kv.get('q.s1.a'))!.value), 'again');
    });

    test('KV: keys(filter) with * and >', async () => {
      const kv = await bus.kv(unique('keys'));
      for (const k of ['u1.r1', 'u1.r2', 'u2.r1', 'u2.r1.x']) await kv.put(k, enc(k));
      await kv.delete('u1.r2');
      assert.deepEqual((await kv.keys('u1.*')).sort(), ['u1.r1']);
      assert.deepEqual((await kv.keys('u2.>')).sort(), ['u2.r1', 'u2.r1.x']);
      assert.deepEqual((await kv.keys()).sort(), ['u1.r1', 'u2.r1', 'u2.r1.x']);
      assert.deepEqual(await kv.keys('nobody.*'), []);
      assert.deepEqual(await kv.keys('u1'), [], 'a one-token filter names one key, not a prefix');
      await kv.create('u1.r2', enc('back'));
      assert.deepEqual((await kv.keys('u1.*')).sort(), ['u1.r1', 'u1.r2']);
      await kv.delete('u1.r1');
      await kv.delete('u1.r2');
      assert.deepEqual(await kv.keys('u1.*'), []);
    });

    test('KV: entries expire after the bucket TTL', async () => {
      const kv = await bus.kv(unique('ttl'), { ttlMs: 1_000 });
      await kv.put('k', enc('v'));
      assert.equal(dec((await kv.get('k'))!.value), 'v');
      await waitFor(async () => (await kv.get('k')) === undefined, { timeoutMs: 15_000, intervalMs: 100, what: 'expiry' });
      assert.deepEqual(await kv.keys(), []);
      assert.deepEqual(await kv.keys('k'), []);
      await kv.create('k', enc('fresh'));
      assert.deepEqual(await kv.keys('k'), ['k']);
    });

    test('KV: update with the revision an entry had before it expired conflicts (edge fencing relies on it)', async () => {
      const kv = await bus.kv(unique('ttlcas'), { ttlMs: 1_000 });
      const rev = await kv.put('k', enc('v1'));
      assert.ok((await kv.update('k', enc('v2'), rev)) > rev, 'a live entry updates');
      const live = (await kv.get('k'))!.revision;
      await waitFor(async () => (await kv.get('k')) === undefined, { timeoutMs: 15_000, intervalMs: 100, what: 'expiry' });
      await assert.rejects(kv.update('k', enc('v3'), live), KvConflictError);
    });

    test('KV: changedSince tells whether an entry matching a filter was written or deleted after a revision', async () => {
      const kv = await bus.kv(unique('since'));
      const r1 = await kv.put('u1.a', enc('1'));
      assert.equal(await kv.changedSince('u1.*', r1), false, 'nothing after its own put');
      assert.equal(await kv.changedSince('u1.*', r1 - 1), true, 'its put is after the revision before it');
      const r2 = await kv.put('u2.a', enc('2'));
      assert.equal(await kv.changedSince('u1.*', r1), false, 'another filter’s write does not count');
      assert.equal(await kv.changedSince('u2.*', r1), true);
      await kv.delete('u1.a');
      assert.equal(await kv.changedSince('u1.*', r2), true, 'a delete counts');
      assert.equal(await kv.changedSince('nobody.*', 0), false, 'a filter nothing ever matched');
    });

    test('KV: keys and watch finish while entries expire and are overwritten', { timeout: 60_000 }, async () => {
      // Each call below must end: a listing or a watch that waits on entries that vanished before
      // they were delivered stalled the partition consumer and the dead-edge sweep for good.
      const bucket = unique('churn');
      const kv = await bus.kv(bucket, { ttlMs: 300 });
      const writer = await ut.connect();
      const wkv = await writer.kv(bucket, { ttlMs: 300 });
      let writing = true;
      const churn = (async () => {
        for (let i = 0; writing && i < 20_000; i++) {
          await wkv.put(`k${i % 16}`, enc(String(i)));
          if (i % 4 === 0) await wkv.delete(`k${(i + 7) % 16}`);
          if (i % 8 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      })();
      try {
        for (let round = 0; round < 40; round++) {
          await kv.put('steady', enc(String(round)));
          const keys = await kv.keys('*');
          assert.ok(keys.includes('steady'), `round ${round}: a key put just before is listed`);
          assert.equal(new Set(keys).size, keys.length, 'no key twice');
          let sawSteady = false;
          const w = await kv.watch((e) => {
            if (e.key === 'steady') sawSteady = true;
          }, '*');
          w.stop();
          assert.ok(sawSteady, `round ${round}: the watch replayed the current value`);
          await new Promise((r) => setTimeout(r, round % 5 === 0 ? 320 : 20));
        }
      } finally {
        writing = false;
        await churn;
      }
    });

    test('KV: watch gives current values (not deletes), then every change, filtered', async () => {
      const bucket = unique('watch');
      const kv = await bus.kv(bucket);
      await kv.put('a.1', enc('a1'));
      await kv.put('a.2', enc('a2'));
      await kv.delete('a.2');
      await kv.put('b.1', enc('b1'));
      const got: KvEntry[] = [];
      const w = await kv.watch((e) => void got.push(e), 'a.*');
      await waitFor(() => got.length >= 1, { what: 'initial value' });
      const kvB = await (await ut.connect()).kv(bucket);
      await kvB.put('a.3', enc('a3'));
      await kv.put('b.2', enc('b2'));
      await kv.delete('a.1');
      await waitFor(() => got.length >= 3, { what: 'watched changes' });
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(
        got.map((e) => [e.key, e.operation, e.operation === 'PUT' ? dec(e.value) : '']),
        [
          ['a.1', 'PUT', 'a1'],
          ['a.3', 'PUT', 'a3'],
          ['a.1', 'DEL', ''],
        ],
      );
      w.stop();
      await kv.put('a.4', enc('after stop'));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(got.length, 3);
    });

    describe('PartitionedConsumer', () => {
      test('two members split the partitions; each message is processed once, in order per partition; the survivor takes over', async () => {
        const group = unique('pc');
        const partitions = 8;
        const members = unique('members');
        const subject = (p: number): string => `${group}.in.${p}`;
        const processed = new Map<number, number[]>();
        const byMember = new Map<string, number>();
        let overlap = 0;
        const active = new Set<number>();
        const make = (id: string, b: Bus): PartitionedConsumer =>
          new PartitionedConsumer(b, {
            id,
            partitions,
            subject,
            membersBucket: members,
            heartbeatMs: 300,
            logger: quietLogger(),
            handler: async (p: number, m: BusMessage) => {
              if (active.has(p)) overlap++;
              active.add(p);
              await new Promise((r) => setImmediate(r));
              const list = processed.get(p) ?? [];
              list.push(Number(dec(m.data)));
              processed.set(p, list);
              byMember.set(id, (byMember.get(id) ?? 0) + 1);
              active.delete(p);
              m.respond(enc('ok'));
            },
          });
        const busB = await ut.connect();
        const a = make('member-a', bus);
        const b = make('member-b', busB);
        await a.start();
        await b.start();
        await waitFor(() => a.owned().length + b.owned().length === partitions && a.owned().length > 0 && b.owned().length > 0, {
          what: 'both members owning partitions',
        });
        const all = [...a.owned(), ...b.owned()].sort((x, y) => x - y);
        assert.deepEqual(
          all,
          Array.from({ length: partitions }, (_, i) => i),
          'each partition owned by exactly one',
        );
        await bus.flush();
        await busB.flush();

        const publisher = await ut.connect();
        const perPartition = 50;
        for (let i = 0; i < perPartition; i++) for (let p = 0; p < partitions; p++) publisher.publish(subject(p), enc(String(i)));
        await publisher.flush();
        const total = (): number => [...processed.values()].reduce((n, l) => n + l.length, 0);
        await waitFor(() => total() >= partitions * perPartition, { what: 'every message processed' });
        for (let p = 0; p < partitions; p++) {
          assert.deepEqual(
            processed.get(p),
            Array.from({ length: perPartition }, (_, i) => i),
            `partition ${p} in order, once`,
          );
        }
        assert.equal(overlap, 0, 'one message at a time per partition');
        assert.ok((byMember.get('member-a') ?? 0) > 0 && (byMember.get('member-b') ?? 0) > 0);

        await b.stop();
        await waitFor(() => a.owned().length === partitions, { what: 'member-a owning every partition' });
        assert.deepEqual(b.owned(), []);
        processed.clear();
        await bus.flush();
        for (let p = 0; p < partitions; p++) {
          assert.equal(dec(await publisher.request(subject(p), enc('0'), { timeoutMs: 5_000 })), 'ok');
        }
        assert.equal(total(), partitions);
        await a.stop();
      });

      test('ownership moves on join and on leave without losing, doubling or reordering a message', async () => {
        const group = unique('handover');
        const partitions = 8;
        const perPartition = 120;
        const subject = (p: number): string => `${group}.in.${p}`;
        const processed = new Map<number, number[]>();
        const membersBucket = unique('handover_members');
        const make = (id: string, b: Bus): PartitionedConsumer =>
          new PartitionedConsumer(b, {
            id,
            partitions,
            subject,
            membersBucket,
            heartbeatMs: 300,
            logger: quietLogger(),
            handler: async (p, m) => {
              await new Promise((r) => setImmediate(r));
              const list = processed.get(p) ?? [];
              list.push(Number(dec(m.data)));
              processed.set(p, list);
              m.respond(enc('ok'));
            },
          });
        const a = make('member-a', bus);
        const b = make('member-b', await ut.connect());
        await a.start();
        const publisher = await ut.connect();
        const total = (): number => [...processed.values()].reduce((n, l) => n + l.length, 0);
        // Like an edge: one request at a time per partition, retried while nobody owns the partition.
        const send = async (p: number): Promise<void> => {
          for (let i = 0; i < perPartition; i++) {
            for (let attempt = 0; ; attempt++) {
              try {
                await publisher.request(subject(p), enc(String(i)), { timeoutMs: 10_000 });
                break;
              } catch (err) {
                if (!(err instanceof BusNoRespondersError) || attempt > 2_000) throw err;
                await new Promise((r) => setTimeout(r, 2));
              }
            }
          }
        };
        const senders = Array.from({ length: partitions }, (_, p) => send(p));
        await waitFor(() => total() >= partitions * 20, { what: 'traffic before the join' });
        await b.start();
        await waitFor(() => b.owned().length > 0 && a.owned().length + b.owned().length === partitions, { what: 'b to take its share' });
        await waitFor(() => total() >= partitions * 60, { what: 'traffic after the join' });
        await a.stop();
        await waitFor(() => b.owned().length === partitions, { what: 'b to own everything' });
        await Promise.all(senders);
        for (let p = 0; p < partitions; p++) {
          assert.deepEqual(
            processed.get(p),
            Array.from({ length: perPartition }, (_, i) => i),
            `partition ${p}`,
          );
        }
        await b.stop();
      });

      test('three members joining and leaving one by one under traffic: every message once, in order', async () => {
        const group = unique('churn');
        const partitions = 12;
        const perPartition = 150;
        const membersBucket = unique('churn_members');
        const subject = (p: number): string => `${group}.in.${p}`;
        const processed = new Map<number, number[]>();
        const make = async (id: string): Promise<PartitionedConsumer> =>
          new PartitionedConsumer(await ut.connect(), {
            id,
            partitions,
            subject,
            membersBucket,
            heartbeatMs: 300,
            logger: quietLogger(),
            handler: async (p, m) => {
              await new Promise((r) => setImmediate(r));
              const list = processed.get(p) ?? [];
              list.push(Number(dec(m.data)));
              processed.set(p, list);
              m.respond(enc('ok'));
            },
          });
        const total = (): number => [...processed.values()].reduce((n, l) => n + l.length, 0);
        const publisher = await ut.connect();
        const send = async (p: number): Promise<void> => {
          for (let i = 0; i < perPartition; i++) {
            await requestRetrying(publisher, subject(p), enc(String(i)), { timeoutMs: 20_000, retryDelayMs: 2 });
          }
        };
        const [a, b, c] = await Promise.all(['m-one', 'm-two', 'm-three'].map(make));
        const owners = (): number => a!.owned().length + b!.owned().length + c!.owned().length;
        await a!.start();
        const senders = Array.from({ length: partitions }, (_, p) => send(p));
        const step = async (n: number, what: string, act: () => Promise<void>): Promise<void> => {
          await waitFor(() => total() >= partitions * n, { timeoutMs: 30_000, what: `traffic before ${what}` });
          await act();
          await waitFor(() => owners() === partitions, { what: `a settled ownership after ${what}` });
        };
        await step(10, 'b joins', () => b!.start());
        await step(30, 'c joins', () => c!.start());
        await step(60, 'b leaves', () => b!.stop());
        await step(90, 'a leaves', () => a!.stop());
        await Promise.all(senders);
        assert.equal(c!.owned().length, partitions);
        for (let p = 0; p < partitions; p++) {
          assert.deepEqual(
            processed.get(p),
            Array.from({ length: perPartition }, (_, i) => i),
            `partition ${p}`,
          );
        }
        await c!.stop();
      });

      test('a member that dies without leaving is replaced once its entries expire', async (t) => {
        const busB = await ut.connect();
        if (busB === bus) {
          t.skip('needs two connections');
          return;
        }
        const group = unique('dies');
        const membersBucket = unique('dies_members');
        const opts = (id: string) => ({
          id,
          partitions: 8,
          subject: (p: number) => `${group}.${p}`,
          membersBucket,
          heartbeatMs: 300,
          logger: quietLogger(),
          handler: async (_p: number, m: BusMessage) => m.respond(enc(id)),
        });
        const a = new PartitionedConsumer(bus, opts('member-a'));
        const b = new PartitionedConsumer(busB, opts('member-b'));
        await a.start();
        await b.start();
        await waitFor(() => b.owned().length > 0 && a.owned().length + b.owned().length === 8, { what: 'a split' });
        await busB.close();
        await waitFor(() => a.owned().length === 8, { timeoutMs: 20_000, what: 'a to take over the dead member partitions' });
        for (let p = 0; p < 8; p++) assert.equal(dec(await bus.request(`${group}.${p}`, enc('x'), { timeoutMs: 5_000 })), 'member-a');
        await a.stop();
        await b.stop();
      });

      test('alone, a member owns every partition', async () => {
        const c = new PartitionedConsumer(bus, {
          id: 'solo',
          partitions: 4,
          subject: (p) => `${unique('solo')}.${p}`,
          membersBucket: unique('solo_members'),
          heartbeatMs: 300,
          logger: quietLogger(),
          handler: async () => undefined,
        });
        await c.start();
        assert.deepEqual(c.owned(), [0, 1, 2, 3]);
        await c.stop();
        assert.deepEqual(c.owned(), []);
      });
    });
  });
}
