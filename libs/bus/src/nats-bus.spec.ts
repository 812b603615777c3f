import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BusTimeoutError } from './bus.js';
import { startNatsServer, type NatsServer } from '#libs/testing';
import type { Bus } from './bus.js';
import { quietLogger, runBusContract } from './bus.contract.js';
import { NatsBus } from './nats-bus.js';

let server: NatsServer;
before(async () => {
  server = await startNatsServer({ jetstream: true });
});
after(async () => {
  await server?.stop();
});

runBusContract('NATS', async () => {
  const opened: Bus[] = [];
  const open = async (): Promise<Bus> => {
    const b = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, quietLogger());
    opened.push(b);
    return b;
  };
  const bus = await open();
  return {
    bus,
    connect: open,
    cleanup: async () => {
      await Promise.all(opened.map((b) => b.close()));
    },
  };
});

test('requests build no per-request stack-trace Errors (noAsyncTraces), and a timeout still says which subject', async () => {
  const bus = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, quietLogger());
  try {
    assert.equal((bus as any).nc.options.noAsyncTraces, true);
    const sub = bus.subscribe('spec.silent', () => undefined);
    await bus.flush();
    await assert.rejects(bus.request('spec.silent', new Uint8Array([1]), { timeoutMs: 100 }), (err: Error) => {
      assert.ok(err instanceof BusTimeoutError);
      assert.match(err.message, /spec\.silent/);
      return true;
    });
    await sub.unsubscribe();
  } finally {
    await bus.close();
  }
});

test('request(): concurrent requests get their own replies; a late reply is dropped; close() fails what is pending', async () => {
  const bus = await NatsBus.connect({ url: server.url, requestTimeoutMs: 2_000 }, quietLogger());
  const other = await NatsBus.connect({ url: server.url, requestTimeoutMs: 2_000 }, quietLogger());
  try {
    const echo = other.subscribe('spec.echo', (m) => {
      const n = m.data[0]!;
      // Answer in reverse order, some late, so a reply can only match its request by its token.
      setTimeout(() => m.respond(new Uint8Array([n, n])), n === 0 ? 300 : 50 - n);
    });
    await other.flush();
    const answers = await Promise.allSettled([0, 1, 2, 3, 4].map((n) => bus.request('spec.echo', new Uint8Array([n]), { timeoutMs: n === 0 ? 100 : 2_000 })));
    assert.ok(answers[0]!.status === 'rejected' && answers[0]!.reason instanceof BusTimeoutError);
    for (const n of [1, 2, 3, 4]) {
      const a = answers[n]!;
      assert.ok(a.status === 'fulfilled');
      assert.deepEqual([...a.value], [n, n]);
    }
    await new Promise((r) => setTimeout(r, 300)); // the late reply to 0 arrives and is ignored
    assert.deepEqual([...(await bus.request('spec.echo', new Uint8Array([7]), { timeoutMs: 2_000 }))], [7, 7]);
    await echo.unsubscribe();
    other.subscribe('spec.never', () => undefined);
    await other.flush();
    const pending = bus.request('spec.never', new Uint8Array([1]), { timeoutMs: 60_000 });
    await bus.close();
    await assert.rejects(pending, /connection closed/);
  } finally {
    await bus.close();
    await other.close();
  }
});
