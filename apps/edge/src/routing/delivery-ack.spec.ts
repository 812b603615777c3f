import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeAck, encodeFrame, SESSION_GONE, type Ack, type BusMessage, type StanzaEnvelope } from '#libs/bus';
import { waitFor } from '#libs/testing';
import type { EdgeContext } from '../edge.context.js';
import { UNWRITTEN, WRITTEN, type Outcome, type Settle } from '../stream/outgoing.js';
import { deliverer } from './delivery.js';

/**
 * When the edge answers a router's delivery (docs/reliability.md, steps 4 and 5): once the stanza's
 * bytes left the process, not when the stream took it, so an edge killed in between leaves the
 * stanza to the router. The stream here is a stand-in whose outcomes the test gives, one at a
 * time: the real stream's are covered by delivery.spec.ts; this is about the answer's timing.
 */
describe('edge deliveries: the acknowledgement waits for the write', () => {
  const STALL_MS = 20;

  /** A bound session whose `deliver()` keeps each stanza's settle for the test to call. */
  class StandInStream {
    readonly state = 'bound';
    outStalled = false;
    /** What deliver() does at once, before returning (e.g. a CSI hold); nothing by default. */
    atOnce: Outcome | undefined;
    readonly settles = new Map<string, () => (o: Outcome) => void>();
    deliver(_xml: Uint8Array, settle: Settle<StanzaEnvelope>, meta: StanzaEnvelope): void {
      this.settles.set(meta.id, () => (o) => settle(o, meta));
      if (this.atOnce) settle(this.atOnce, meta);
    }
    outcome(id: string, o: Outcome): void {
      this.settles.get(id)!()(o);
    }
  }

  const setUp = () => {
    const stream = new StandInStream();
    const redirected: string[] = [];
    const ctx = {
      config: { edge: { deliveryDedupeWindow: 0, writeStallMs: STALL_MS, routeTimeoutMs: 1_000 }, bus: { partitions: 1 } },
      sessions: new Map([['s1', stream]]),
      // a stanza the edge sends back to a router (its own, unwritten) is a request on the bus
      bus: { request: (_s: string, data: Uint8Array) => (redirected.push(String(data.length)), Promise.resolve(new Uint8Array())) },
      pending: new Set(),
      logger: { warn: () => undefined, error: () => undefined, debug: () => undefined, info: () => undefined },
    } as unknown as EdgeContext;
    const deliver = deliverer(ctx);
    const answers = new Map<string, Ack>();
    const send = (id: string, extra: Partial<StanzaEnvelope> = {}): void => {
      const stanza: StanzaEnvelope = {
        from: 'bob@example.test/x',
        to: 'alice@example.test/r',
        kind: 'MESSAGE',
        type: 'chat',
        id,
        xml: Buffer.from(`<message id="${id}"/>`),
        target: { edgeId: 'e', sessionId: 's1' },
        ...extra,
      };
      const msg: BusMessage = {
        subject: 'edge.e.deliver',
        data: encodeFrame({ stanza }),
        replyExpected: true,
        respond: (data) => {
          assert.equal(answers.has(id), false, `${id} answered once`);
          answers.set(id, decodeAck(data));
        },
      };
      deliver(msg);
    };
    return { stream, answers, send, redirected };
  };

  test('a stanza handed to a connection that takes bytes is acknowledged at its write callback, not before', () => {
    const { stream, answers, send } = setUp();
    send('m1');
    assert.equal(answers.has('m1'), false, 'not answered while its bytes may still be in the process');
    stream.outcome('m1', WRITTEN);
    assert.deepEqual(answers.get('m1'), { taken: true });
  });

  test('never written (the connection broke): refused, the router routes it again; the edge does not send it back too', () => {
    const { stream, answers, send, redirected } = setUp();
    send('m2');
    stream.outcome('m2', UNWRITTEN.closed);
    assert.deepEqual(answers.get('m2'), { taken: false, error: SESSION_GONE });
    assert.deepEqual(redirected, []);
  });

  test('a stalled connection: acknowledged at once, and the edge routes it again itself if it is never written', () => {
    const { stream, answers, send, redirected } = setUp();
    stream.outStalled = true;
    send('m3');
    assert.deepEqual(answers.get('m3'), { taken: true }, 'a receiver that does not read holds up no sender');
    stream.outcome('m3', UNWRITTEN.cut);
    assert.equal(redirected.length, 1, 'the edge’s stanza went back to a router');
  });

  test('a connection that stalls after the write: the stanza is acknowledged within edge.writeStallMs of it', async () => {
    const { stream, answers, send } = setUp();
    send('m4');
    assert.equal(answers.has('m4'), false);
    stream.outStalled = true;
    await waitFor(() => answers.has('m4'), { what: 'the sweep acknowledged m4' });
    assert.deepEqual(answers.get('m4'), { taken: true });
    stream.outcome('m4', WRITTEN); // written at last: answered once only (the spy asserts it)
  });

  test('held by the stream (CSI): acknowledged at once; an offline flush (ackWhenWritten) waits for the write even so', () => {
    const { stream, answers, send } = setUp();
    stream.atOnce = { kind: 'held', by: 'csi' };
    send('m5');
    assert.deepEqual(answers.get('m5'), { taken: true });
    send('m6', { ackWhenWritten: true });
    assert.equal(answers.has('m6'), false);
    stream.outcome('m6', WRITTEN);
    assert.deepEqual(answers.get('m6'), { taken: true });
  });

  test('stream management: answered once stored, even on a stalled connection', () => {
    const { stream, answers, send } = setUp();
    stream.atOnce = { kind: 'held', by: 'sm', untilStored: true };
    stream.outStalled = true;
    send('m7');
    assert.equal(answers.has('m7'), false, 'not before the resumable queue has it');
    stream.outcome('m7', { kind: 'stored', by: 'sm' });
    assert.deepEqual(answers.get('m7'), { taken: true });
  });
});
