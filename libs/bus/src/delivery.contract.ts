/** Delivery (delivery.ts) on every Bus: registered inside bus.contract.ts's describe, on its bus. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { Bus } from './bus.js';
import type { BusUnderTest } from './bus.contract.js';
import { enc, unique } from './contract-support.js';
import { Delivery, SESSION_GONE } from './delivery.js';
import { decodeFrame, encodeAck, encodeBatchAck } from './frame.codec.js';
import type { StanzaEnvelope } from './messages.js';
import { subjects } from './subjects.js';

export function deliveryCases(under: () => BusUnderTest): void {
  let bus: Bus;
  let ut: BusUnderTest;
  // after the contract's own before(), which made the bus
  before(() => {
    ut = under();
    bus = ut.bus;
  });

  test('Delivery.toSession: taken, refused, no edge, no answer in time', async () => {
    const edgeId = unique('edge');
    const sub = bus.subscribe(subjects.edgeDeliver(edgeId), (m) => {
      const sessionId = decodeFrame(m.data).stanza?.target?.sessionId;
      if (sessionId === 'silent') return;
      m.respond(encodeAck(sessionId === 'here' ? { taken: true } : { taken: false, error: SESSION_GONE }));
    });
    await bus.flush();
    const other = await ut.connect();
    const delivery = new Delivery(other, 2_000);
    const quick = new Delivery(other, 200);
    const env: StanzaEnvelope = { from: 'a@x/r', to: 'b@x/r', kind: 'MESSAGE', type: 'chat', id: '1', xml: enc('<message/>') };
    assert.deepEqual(await delivery.toSession(env, { edgeId, sessionId: 'here' }), { ok: true });
    assert.deepEqual(await delivery.toSession(env, { edgeId, sessionId: 'gone' }), { ok: false, reason: 'refused', detail: SESSION_GONE });
    assert.deepEqual(await quick.toSession(env, { edgeId, sessionId: 'silent' }), { ok: false, reason: 'timeout' });
    assert.deepEqual(await delivery.toSession(env, { edgeId: unique('dead-edge'), sessionId: 'x' }), { ok: false, reason: 'no-edge' });
    await sub.unsubscribe();
  });

  test('Delivery, coalescing: the deliveries of one turn to one edge go as one batch, in order, each with its own outcome', async () => {
    const edgeA = unique('edge');
    const edgeB = unique('edge');
    /** What each edge received: per request, the sessions it carried (a single frame or a batch). */
    const got = new Map<string, string[][]>([
      [edgeA, []],
      [edgeB, []],
    ]);
    const ackFor = (sessionId: string) => (sessionId.startsWith('gone') ? { taken: false, error: SESSION_GONE } : { taken: true });
    const subs = [edgeA, edgeB].map((edgeId) =>
      bus.subscribe(subjects.edgeDeliver(edgeId), (m) => {
        const frame = decodeFrame(m.data);
        if (frame.stanza) {
          got.get(edgeId)!.push([frame.stanza.target!.sessionId]);
          return m.respond(encodeAck(ackFor(frame.stanza.target!.sessionId)));
        }
        const ids = frame.batch!.stanzas.map((st) => st.target!.sessionId);
        got.get(edgeId)!.push(ids);
        m.respond(encodeBatchAck({ acks: ids.map(ackFor) }));
      }),
    );
    await bus.flush();
    const other = await ut.connect();
    const delivery = new Delivery(other, 2_000, { max: 3, bytes: 64 });
    const env = (n: number): StanzaEnvelope => ({
      from: 'a@x/r',
      to: 'b@x/r',
      kind: 'MESSAGE',
      type: 'chat',
      id: String(n),
      xml: enc(`<message id='${n}'/>`),
    });
    const to = (edgeId: string, sessionId: string) => ({ edgeId, sessionId });

    // one turn: four to A (max 3: a batch of three, then one more), one to B between them
    const outcomes = [
      delivery.toSession(env(1), to(edgeA, 'a1')),
      delivery.toSession(env(2), to(edgeA, 'gone-a2')),
      delivery.toSession(env(3), to(edgeB, 'b1')),
      delivery.toSession(env(4), to(edgeA, 'a3')),
      delivery.toSession(env(5), to(edgeA, 'a4')),
    ];
    assert.deepEqual(await Promise.all(outcomes), [
      { ok: true },
      { ok: false, reason: 'refused', detail: SESSION_GONE },
      { ok: true },
      { ok: true },
      { ok: true },
    ]);
    assert.deepEqual(got.get(edgeA), [['a1', 'gone-a2', 'a3'], ['a4']]);
    assert.deepEqual(got.get(edgeB), [['b1']]);

    // bytes bound a batch (64 here): a stanza that would take it past them starts the next one, a
    // larger one goes alone; a delivery with options goes alone, after what waited for its edge
    got.get(edgeA)!.length = 0;
    const long: StanzaEnvelope = { ...env(9), xml: enc(`<message id='9'>${'x'.repeat(60)}</message>`) };
    const second = [
      delivery.toSession(env(6), to(edgeA, 'a5')),
      delivery.toSession(long, to(edgeA, 'a6')),
      delivery.toSession(env(7), to(edgeA, 'a7')),
      delivery.toSession(env(8), to(edgeA, 'a8'), { whenWritten: true }),
    ];
    assert.ok((await Promise.all(second)).every((o) => o.ok));
    assert.deepEqual(got.get(edgeA), [['a5'], ['a6'], ['a7'], ['a8']]);

    // a dead edge: every coalesced delivery to it fails as no-edge
    const dead = unique('dead-edge');
    assert.deepEqual(await Promise.all([delivery.toSession(env(1), to(dead, 'x')), delivery.toSession(env(2), to(dead, 'y'))]), [
      { ok: false, reason: 'no-edge' },
      { ok: false, reason: 'no-edge' },
    ]);
    for (const sub of subs) await sub.unsubscribe();
  });
}
