import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { NatsBus } from '#libs/bus';
import { startNatsServer, type NatsServer } from '#libs/testing';
import { CapsCache } from './caps-cache.js';

describe('XEP-0115 caps cache shared by the cluster (real nats-server, JetStream KV glider_caps)', () => {
  let server: NatsServer;
  let one: NatsBus;
  let two: NatsBus;
  before(async () => {
    server = await startNatsServer({ jetstream: true });
    const logger = pino({ level: 'silent' });
    one = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, logger);
    two = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, logger);
  });
  after(async () => {
    await one?.close();
    await two?.close();
    await server?.stop();
  });

  test('a hash verified in one process is known in another; the in-process map stays bounded', async () => {
    const a = new CapsCache(one, 2);
    const b = new CapsCache(two, 2);
    const features = ['http://jabber.org/protocol/tune+notify', 'urn:xmpp:avatar:metadata+notify'];
    assert.equal(await b.features('sha-1', 'QgayPKawpkPSDYmwT/WM94uAlu0='), undefined);
    await a.store('sha-1', 'QgayPKawpkPSDYmwT/WM94uAlu0=', features);
    assert.deepEqual(await b.features('sha-1', 'QgayPKawpkPSDYmwT/WM94uAlu0='), features);
    assert.equal(await b.features('sha-256', 'QgayPKawpkPSDYmwT/WM94uAlu0='), undefined, 'the hash function is part of the key');
    for (const v of ['v1', 'v2', 'v3']) await a.store('sha-1', v, [v]);
    assert.deepEqual(await a.features('sha-1', 'v1'), ['v1'], 'evicted locally, read back from the bucket');
  });
});
