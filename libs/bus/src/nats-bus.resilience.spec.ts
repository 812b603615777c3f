/** What only the NATS bus has to show: reconnecting after a server restart, credentials, createBus. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startNatsServer, tempDir, waitFor, type NatsServer } from '#libs/testing';
import type { Bus, KvEntry } from './bus.js';
import { quietLogger } from './bus.contract.js';
import { createBus } from './create-bus.js';
import { InProcessBus } from './inprocess-bus.js';
import { NatsBus } from './nats-bus.js';
import { PartitionedConsumer } from './partitioned-consumer.js';
import { requestRetrying } from './request-retrying.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const busConfig = (url: string, credentialsFile?: string) => ({
  kind: 'nats' as const,
  url,
  credentialsFile,
  partitions: 8,
  requestTimeoutMs: 5_000,
  heartbeatMs: 1_000,
  sessionMarkerPurgeMs: 0,
  deliveryAckTimeoutMs: 2_000,
  outageGraceMs: 10_000,
});

describe('NATS bus resilience', () => {
  const cleanups: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });
  const server = async (args?: string[]): Promise<NatsServer> => {
    const s = await startNatsServer({ jetstream: true, args });
    cleanups.push(() => s.stop());
    return s;
  };
  const open = async (url: string, credentialsFile?: string): Promise<Bus> => {
    const b = await createBus(busConfig(url, credentialsFile), quietLogger());
    cleanups.push(() => b.close());
    return b;
  };

  test('createBus picks the implementation the config names', async () => {
    const b = await createBus({ ...busConfig('nats://unused'), kind: 'inprocess' }, quietLogger());
    assert.ok(b instanceof InProcessBus);
    await b.close();
    const s = await server();
    assert.ok((await open(s.url)) instanceof NatsBus);
  });

  test('after a server restart: health reports it, then subscriptions, requests, KV and watches carry on', async () => {
    const s = await server();
    const bus = await open(s.url);
    const got: string[] = [];
    bus.subscribe('svc.echo', (m) => {
      got.push(dec(m.data));
      m.respond(m.data);
    });
    const kv = await bus.kv('restart_kv');
    await kv.put('k', enc('before'));
    const seen: KvEntry[] = [];
    const w = await kv.watch((e) => void seen.push(e));
    await waitFor(() => seen.length === 1, { what: 'initial watch value' });
    assert.equal(dec(await bus.request('svc.echo', enc('one'), { timeoutMs: 5_000 })), 'one');
    assert.equal(bus.health(), undefined);
    assert.equal(bus.lastReconnectAt(), undefined, 'never lost its connection yet');
    let reconnects = 0;
    const off = bus.onReconnect(() => reconnects++);

    const restarted = s.restart();
    await waitFor(() => bus.health() !== undefined, { what: 'health to report the disconnection' });
    assert.match(bus.health()!, /NATS|reconnect/);
    await restarted;
    await waitFor(() => bus.health() === undefined, { timeoutMs: 30_000, what: 'the bus to reconnect' });
    assert.equal(reconnects, 1, 'the reconnect listener ran once');
    assert.ok(bus.lastReconnectAt()! <= performance.now());
    off();

    assert.equal(dec(await bus.request('svc.echo', enc('two'), { timeoutMs: 5_000 })), 'two');
    assert.equal(dec((await kv.get('k'))!.value), 'before', 'JetStream KV kept its data');
    await waitFor(
      async () => {
        await kv.put('k', enc('after'));
        return seen.some((e) => dec(e.value) === 'after');
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the watch to resume' },
    );
    w.stop();
    assert.deepEqual(got.slice(0, 2), ['one', 'two']);
  });

  test('a PartitionedConsumer keeps serving its partitions across a server restart', async () => {
    const s = await server();
    const bus = await open(s.url);
    const client = await open(s.url);
    const consumer = new PartitionedConsumer(bus, {
      id: 'solo',
      partitions: 4,
      subject: (p) => `restart.in.${p}`,
      membersBucket: 'restart_members',
      heartbeatMs: 300,
      logger: quietLogger(),
      handler: async (p, m) => m.respond(enc(`p${p}:${dec(m.data)}`)),
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();
    assert.deepEqual(consumer.owned(), [0, 1, 2, 3]);
    await s.restart();
    await waitFor(() => bus.health() === undefined && client.health() === undefined, { timeoutMs: 30_000, what: 'reconnection' });
    for (let p = 0; p < 4; p++) {
      const reply = await requestRetrying(client, `restart.in.${p}`, enc('x'), { timeoutMs: 20_000 });
      assert.equal(dec(reply), `p${p}:x`);
    }
    await waitFor(() => consumer.owned().length === 4, { what: 'ownership kept' });
  });

  test('user:password and token credentials come from bus.credentialsFile', async () => {
    const dir = tempDir('glider-creds-');
    cleanups.push(async () => dir.remove());
    const userPass = join(dir.path, 'userpass');
    writeFileSync(userPass, 'glider:s3cret\n');
    const token = join(dir.path, 'token');
    writeFileSync(token, 'tok-123\n');
    const wrong = join(dir.path, 'wrong');
    writeFileSync(wrong, 'glider:nope\n');

    const s1 = await server(['--user', 'glider', '--pass', 's3cret']);
    const b1 = await open(s1.url, userPass);
    await b1.flush();
    await assert.rejects(createBus(busConfig(s1.url, wrong), quietLogger()));
    await assert.rejects(createBus(busConfig(s1.url), quietLogger()));

    const s2 = await server(['--auth', 'tok-123']);
    const b2 = await open(s2.url, token);
    const kv = await b2.kv('creds_kv');
    await kv.put('a', enc('b'));
    assert.equal(dec((await kv.get('a'))!.value), 'b');
  });
});
