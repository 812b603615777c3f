import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { startNatsServer, type NatsServer } from '#libs/testing';
import { quietLogger } from './bus.contract.js';
import { decodeAck, decodeBatchAck, decodeFrame, encodeAck, encodeBatchAck, encodeFrame } from './frame.codec.js';
import { InProcessBus } from './inprocess-bus.js';
import { keepBusValuesLocal, wire } from './local-values.js';
import type { Frame } from './messages.js';
import { NatsBus } from './nats-bus.js';
import { PortBus } from './port-bus.js';
import { PortBusHost } from './port-bus-host.js';

const frame = (): Frame => ({
  stanza: {
    from: 'alice@example.com/pc',
    to: 'bob@example.com',
    kind: 'MESSAGE',
    type: 'chat',
    id: 'm1',
    xml: Buffer.from('<message id="m1"/>'),
    origin: { edgeId: 'edge-1', sessionId: 's1' },
    sessionKey: 'lane.1',
    traceparent: undefined,
  },
});

/** What the bytes give: the value as every other process decodes it. */
const asBytes = <T>(encode: () => Uint8Array, decode: (b: Uint8Array) => T): T => {
  keepBusValuesLocal(false);
  try {
    return decode(encode());
  } finally {
    keepBusValuesLocal(true);
  }
};

describe('bus values kept local (one-thread standalone)', () => {
  beforeEach(() => keepBusValuesLocal(true));
  afterEach(() => keepBusValuesLocal(false));

  test('a frame, an Ack and a BatchAck decode as their bytes would, without protobuf', () => {
    const f = frame();
    const b = encodeFrame(f);
    assert.equal(b.length, 0, 'a placeholder, not bytes');
    assert.deepEqual(
      decodeFrame(b),
      asBytes(() => encodeFrame(frame()), decodeFrame),
    );
    const ack = { taken: false, error: 'session-gone' };
    assert.deepEqual(
      decodeAck(encodeAck(ack)),
      asBytes(() => encodeAck(ack), decodeAck),
    );
    const batch = { acks: [{ taken: true }, ack] };
    assert.deepEqual(
      decodeBatchAck(encodeBatchAck(batch)),
      asBytes(() => encodeBatchAck(batch), decodeBatchAck),
    );
  });

  test('what was sent is a snapshot, and every receiver gets its own copy', () => {
    const f = frame();
    const b = encodeFrame(f);
    f.stanza!.to = 'carol@example.com'; // the sender changes its object afterwards
    f.stanza!.origin!.sessionId = 's2';
    const first = decodeFrame(b);
    assert.equal(first.stanza!.to, 'bob@example.com');
    assert.equal(first.stanza!.origin!.sessionId, 's1');
    first.stanza!.hops = 3; // a receiver changes what it got
    assert.equal(decodeFrame(b).stanza!.hops, undefined);
  });

  test('a decoder of another type reads the real bytes; wire() gives the bytes everyone else would have sent', () => {
    const b = encodeAck({ taken: true });
    const bytes = asBytes(
      () => encodeAck({ taken: true }),
      (x) => x,
    );
    assert.deepEqual(wire(b), bytes);
    assert.equal(wire(b), wire(b), 'encoded once');
    // a BatchAck decoder given an Ack: what it makes of the Ack's bytes, as before
    assert.deepEqual(
      decodeBatchAck(b),
      asBytes(() => encodeAck({ taken: true }), decodeBatchAck),
    );
    const plain = new Uint8Array([1, 2, 3]);
    assert.equal(wire(plain), plain, 'bytes that are not a placeholder are themselves');
  });

  test('on the in-process bus the receiver gets the value; a handler answers with one', async () => {
    const bus = new InProcessBus({ logger: quietLogger() });
    try {
      bus.subscribe('x.in', (msg) => {
        const got = decodeFrame(msg.data);
        msg.respond(encodeAck({ taken: got.stanza?.id === 'm1', error: got.stanza?.to }));
      });
      const reply = await bus.request('x.in', encodeFrame(frame()), { timeoutMs: 2000 });
      assert.equal(reply.length, 0);
      assert.deepEqual(decodeAck(reply), { taken: true, error: 'bob@example.com' });
    } finally {
      await bus.close();
    }
  });

  test('over a worker port the value leaves as its bytes, both ways', async () => {
    const host = new InProcessBus({ logger: quietLogger() });
    const { port1, port2 } = new MessageChannel();
    const hostSide = new PortBusHost(host, port1, quietLogger());
    const worker = new PortBus(port2, quietLogger());
    try {
      host.subscribe('x.in', (msg) => msg.respond(encodeAck({ taken: decodeFrame(msg.data).stanza?.sessionKey === 'lane.1' })));
      const reply = await worker.request('x.in', encodeFrame(frame()), { timeoutMs: 2000 });
      assert.ok(reply.length > 0, 'bytes crossed the port');
      assert.deepEqual(decodeAck(reply), { taken: true });
    } finally {
      await worker.close();
      await hostSide.detach();
      await host.close();
    }
  });

  describe('over NATS', () => {
    let server: NatsServer;
    before(async () => {
      server = await startNatsServer();
    });
    after(async () => {
      await server?.stop();
    });

    test('a value kept local is sent as its bytes', async () => {
      const a = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, quietLogger());
      const b = await NatsBus.connect({ url: server.url, requestTimeoutMs: 5_000 }, quietLogger());
      try {
        b.subscribe('x.in', (msg) => {
          assert.ok(msg.data.length > 0, 'bytes came over NATS');
          msg.respond(encodeAck({ taken: true, error: decodeFrame(msg.data).stanza?.from }));
        });
        await b.flush();
        const reply = await a.request('x.in', encodeFrame(frame()), { timeoutMs: 5000 });
        assert.deepEqual(decodeAck(reply), { taken: true, error: 'alice@example.com/pc' });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
});
