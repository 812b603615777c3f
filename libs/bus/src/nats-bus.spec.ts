import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BusTimeoutError } from './bus.js';
import { startNatsServer, waitFor, type NatsServer } from '#libs/testing';
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

test('one turn’s publishes, requests and replies reach the server in one socket write, in order; a message past max_payload is refused at once', async () => {
  const bus = await NatsBus.connect({ url: server.url, requestTimeoutMs: 2_000 }, quietLogger());
  const other = await NatsBus.connect({ url: server.url, requestTimeoutMs: 2_000 }, quietLogger());
  try {
    const got: number[] = [];
    other.subscribe('spec.turn.*', (m) => {
      got.push(m.data[0]!);
      if (m.replyExpected) m.respond(m.data);
    });
    await other.flush();
    await bus.request('spec.turn.r', new Uint8Array([0]), { timeoutMs: 2_000 }); // opens the reply inbox (its SUB is a write of its own)
    got.length = 0;
    // count the client's socket writes (the transport's socket: test-only knowledge of nats.js)
    const socket = (bus as any).nc.protocol.transport.socket as { write: (...a: unknown[]) => boolean };
    const write = socket.write;
    let writes = 0;
    socket.write = function (this: unknown, ...a: unknown[]) {
      writes++;
      return write.apply(this, a);
    };
    // one turn, from promise chains of different depths (as stanzas reach the bus): every fifth a request
    const later = async (depth: number, fn: () => void) => {
      for (let d = 0; d < depth; d++) await Promise.resolve();
      fn();
    };
    const replies: Promise<Uint8Array>[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < 25; i++) {
      const data = new Uint8Array([i]);
      sends.push(
        later(i, () => {
          if (i % 5 === 4) replies.push(bus.request('spec.turn.r', data, { timeoutMs: 2_000 }));
          else bus.publish('spec.turn.p', data);
        }),
      );
    }
    await Promise.all(sends);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(writes, 1, 'one write for the turn');
    assert.deepEqual(
      (await Promise.all(replies)).map((r) => r[0]),
      [4, 9, 14, 19, 24],
    );
    await waitFor(() => got.length === 25, { what: 'every message' });
    assert.deepEqual(
      got,
      Array.from({ length: 25 }, (_, i) => i),
      'in the order they were sent',
    );

    const max = (bus as any).nc.info.max_payload as number;
    assert.throws(() => bus.publish('spec.turn.p', new Uint8Array(max + 1)), /max_payload/);
    await assert.rejects(bus.request('spec.turn.r', new Uint8Array(max + 1), { timeoutMs: 2_000 }), /max_payload/);
  } finally {
    await bus.close();
    await other.close();
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
