import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Delivery, SESSION_GONE, decodeFrame, encodeAck, sharedStanzaOf, subjects, type StanzaEnvelope } from '#libs/bus';
import { xml } from '#libs/xml';
import { waitFor } from '#libs/testing';
import { DOMAIN, startEdge, type EdgeHarness } from '../testing/edge-harness.js';
import { RawClient } from '../testing/raw-client.js';

/**
 * The edge's side of acknowledged deliveries (docs/reliability.md): an acknowledgement once the
 * stanza is handed to the connection, a refusal when the session is not there, and what a cut
 * stream never wrote routed again (issue 9, loss 2: a client that stops reading).
 */
describe('edge deliveries', () => {
  let h: EdgeHarness;
  /** Stanzas the edge sent back to a router (hops > 0), by id. */
  const back = new Map<string, StanzaEnvelope>();

  before(async () => {
    h = await startEdge({ edge: { limits: { maxWriteBufferBytes: 256 * 1024 } } }, { router: false });
    await h.addUser('alice', 'secret');
    h.bus.subscribe(subjects.routerIn(0).replace(/0$/, '*'), (msg) => {
      const s = decodeFrame(msg.data).stanza;
      if (s && (s.hops ?? 0) > 0) back.set(s.id, s);
      msg.respond(encodeAck({ taken: true }));
    });
  });
  after(() => h.stop());

  const message = (to: string, id: string, body: string): StanzaEnvelope => ({
    from: 'bob@example.test/x',
    to,
    kind: 'MESSAGE',
    type: 'chat',
    id,
    xml: Buffer.from(`<message from="bob@example.test/x" to="${to}" type="chat" id="${id}"><body>${body}</body></message>`),
  });

  test('acknowledged once handed to the connection; refused (session-gone) for a session not here', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      const jid = await c.login(DOMAIN, 'alice', 'secret', 'acks');
      const { sessionId } = (await h.registry.get(jid))!;
      const delivery = new Delivery(h.bus, 2_000);
      assert.deepEqual(await delivery.toSession(message(jid, 'here', 'hi'), { edgeId: h.edge.edgeId, sessionId }), { ok: true });
      assert.equal((await c.element()).attrs.id, 'here');
      const gone = await delivery.toSession(message(jid, 'nobody', 'hi'), { edgeId: h.edge.edgeId, sessionId: 'no-such-session' });
      assert.deepEqual(gone, { ok: false, reason: 'refused', detail: SESSION_GONE });
      assert.equal(back.has('nobody'), false, 'a refused delivery stays the router’s: the edge does not send it back too');
    } finally {
      c.close();
    }
  });

  test('a delivery key is written to a session once: a repeat is acknowledged and not written (a muc resend)', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      const jid = await c.login(DOMAIN, 'alice', 'secret', 'dedupe');
      const { sessionId } = (await h.registry.get(jid))!;
      const target = { edgeId: h.edge.edgeId, sessionId };
      const delivery = new Delivery(h.bus, 2_000);
      const keyed = (id: string, key: string) => ({ ...message(jid, id, 'room'), dedupeKey: key });
      assert.deepEqual(await delivery.toSession(keyed('k1', 'room@muc 1'), target), { ok: true });
      assert.deepEqual(await delivery.toSession(keyed('k1-again', 'room@muc 1'), target), { ok: true }, 'taken');
      assert.deepEqual(await delivery.toSession(keyed('k2', 'room@muc 2'), target), { ok: true });
      assert.deepEqual(await delivery.toSession(message(jid, 'plain', 'no key'), target), { ok: true });
      const ids = [(await c.element()).attrs.id, (await c.element()).attrs.id, (await c.element()).attrs.id];
      assert.deepEqual(ids, ['k1', 'k2', 'plain'], 'the repeat of key 1 was not written');
    } finally {
      c.close();
    }
  });

  test('a DeliveryBatch: each stanza delivered as its own, in order, one Ack each (session-gone for a session not here)', async () => {
    const a = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    const b = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      const ja = await a.login(DOMAIN, 'alice', 'secret', 'batch-a');
      const jb = await b.login(DOMAIN, 'alice', 'secret', 'batch-b');
      const sa = (await h.registry.get(ja))!.sessionId;
      const sb = (await h.registry.get(jb))!.sessionId;
      const delivery = new Delivery(h.bus, 2_000);
      const outcomes = await delivery.toSessionsOnEdge(h.edge.edgeId, [
        { env: message(ja, 'a1', 'one'), sessionId: sa },
        { env: message(jb, 'b1', 'one'), sessionId: sb },
        { env: message(ja, 'x', 'nobody'), sessionId: 'no-such-session' },
        { env: message(ja, 'a2', 'two'), sessionId: sa },
        { env: { ...message(jb, 'b1-again', 'one'), dedupeKey: 'k' }, sessionId: sb },
        { env: { ...message(jb, 'b1-twice', 'one'), dedupeKey: 'k' }, sessionId: sb },
      ]);
      assert.deepEqual(outcomes, [
        { ok: true },
        { ok: true },
        { ok: false, reason: 'refused', detail: SESSION_GONE },
        { ok: true },
        { ok: true },
        { ok: true },
      ]);
      assert.deepEqual([(await a.element()).attrs.id, (await a.element()).attrs.id], ['a1', 'a2']);
      assert.deepEqual([(await b.element()).attrs.id, (await b.element()).attrs.id], ['b1', 'b1-again']);
      const none = await delivery.toSessionsOnEdge('no-such-edge', [{ env: message(ja, 'y', 'x'), sessionId: sa }], { timeoutMs: 500 });
      assert.equal(none[0]!.ok, false, 'a batch nobody takes fails each item');
    } finally {
      a.close();
      b.close();
    }
  });

  test('a DeliveryFanout: one stanza written to each recipient with its own `to`, in order, one Ack each; a repeated key is not written twice', async () => {
    const a = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    const b = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      const ja = await a.login(DOMAIN, 'alice', 'secret', 'fan-"a&');
      const jb = await b.login(DOMAIN, 'alice', 'secret', 'fan-b');
      const sa = (await h.registry.get(ja))!.sessionId;
      const sb = (await h.registry.get(jb))!.sessionId;
      const delivery = new Delivery(h.bus, 2_000);
      const shared = sharedStanzaOf(xml('message', { from: 'room@conference.example.test/n', type: 'groupchat', id: 'g1' }, xml('body', {}, 'to all')));
      const keyed = { ...shared.env, dedupeKey: 'room g1' };
      const recipients = [
        { to: ja, sessionId: sa },
        { to: 'gone@example.test/x', sessionId: 'no-such-session' },
        { to: jb, sessionId: sb },
      ];
      assert.deepEqual(await delivery.toSessionsOnEdgeShared(h.edge.edgeId, keyed, shared.toAt, recipients), [
        { ok: true },
        { ok: false, reason: 'refused', detail: SESSION_GONE },
        { ok: true },
      ]);
      // the same key again (a muc resend): taken, not written again
      assert.deepEqual(await delivery.toSessionsOnEdgeShared(h.edge.edgeId, keyed, shared.toAt, [recipients[2]!]), [{ ok: true }]);
      const second = sharedStanzaOf(xml('message', { from: 'room@conference.example.test/n', type: 'groupchat', id: 'g2' }, xml('body', {}, 'next')));
      await delivery.toSessionsOnEdgeShared(h.edge.edgeId, second.env, second.toAt, [recipients[0]!, recipients[2]!]);
      const ea = [await a.element(), await a.element()];
      const eb = [await b.element(), await b.element()];
      assert.deepEqual(
        ea.map((e) => [e.attrs.id, e.attrs.to, e.getChildText('body')]),
        [
          ['g1', ja, 'to all'],
          ['g2', ja, 'next'],
        ],
      );
      assert.deepEqual(
        eb.map((e) => [e.attrs.id, e.attrs.to]),
        [
          ['g1', jb],
          ['g2', jb],
        ],
        'the repeated key was not written',
      );
      const none = await delivery.toSessionsOnEdgeShared('no-such-edge', second.env, second.toAt, [recipients[0]!], { timeoutMs: 500 });
      assert.equal(none[0]!.ok, false, 'a fan-out nobody takes fails each copy');
    } finally {
      a.close();
      b.close();
    }
  });

  test('a client that stops reading is cut; what its connection never wrote goes back to the router, nothing is lost', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    const jid = await c.login(DOMAIN, 'alice', 'secret', 'slow');
    const { sessionId } = (await h.registry.get(jid))!;
    const delivery = new Delivery(h.bus, 2_000);
    c.pauseReading();
    const acked: string[] = [];
    const body = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 4000; i++) {
      const outcome = await delivery.toSession(message(jid, `flood-${i}`, body), { edgeId: h.edge.edgeId, sessionId });
      if (!outcome.ok) break; // cut: the router routes this one again itself
      acked.push(`flood-${i}`);
    }
    assert.ok(acked.length < 4000, 'the stream was cut');
    // The edge destroys the cut connection after its grace period: what it had not written is settled then.
    await waitFor(() => h.edge.streams.size === 0, { what: 'the cut connection closed', timeoutMs: 15_000 });
    c.resumeReading();
    const read = new Set<string>();
    // What the kernel had taken still arrives; the <policy-violation/> queued behind the unwritten
    // bytes went with them.
    for (;;) {
      const ev = await c.next();
      if (ev.kind === 'closed') break;
      if (ev.kind === 'el' && ev.el.attrs.id) read.add(ev.el.attrs.id);
    }
    await waitFor(() => acked.every((id) => read.has(id) || back.has(id)), { what: 'every acknowledged stanza read or routed again' });
    const rerouted = acked.filter((id) => back.has(id));
    assert.ok(rerouted.length > 0, 'some stanzas were still unwritten at the cut');
    for (const id of rerouted) {
      assert.equal(back.get(id)!.hops, 1);
      assert.equal(back.get(id)!.target, undefined);
    }
  });

  test('ackWhenWritten (offline flush): acknowledged once written; never written → refused, and not sent back', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      const jid = await c.login(DOMAIN, 'alice', 'secret', 'flush');
      const { sessionId } = (await h.registry.get(jid))!;
      const target = { edgeId: h.edge.edgeId, sessionId };
      const delivery = new Delivery(h.bus, 5_000);
      assert.deepEqual(await delivery.toSession(message(jid, 'w-read', 'hi'), target, { whenWritten: true }), { ok: true });
      assert.equal((await c.element()).attrs.id, 'w-read');
      const stream = h.edge.ctx.sessions.get(sessionId)!;
      assert.equal(stream.outStalled, false, 'a client that reads: its connection takes bytes');
      c.pauseReading();
      const body = 'x'.repeat(8 * 1024);
      for (let i = 0; stream.waitingOut.stanzas === 0; i++) {
        assert.ok(i < 4000, 'the stream queues once the client stops reading');
        await delivery.toSession(message(jid, `fill-${i}`, body), target);
      }
      assert.equal(stream.outStalled, true, 'stanzas wait behind what the client does not read');
      let settled = false;
      const pending = delivery.toSession(message(jid, 'w-never', body), target, { whenWritten: true }).finally(() => (settled = true));
      await delivery.toSession(message(jid, 'after-w', body), target);
      assert.equal(settled, false, 'queued behind unread stanzas: not acknowledged yet');
      for (let i = 0; stream.state === 'bound'; i++) {
        assert.ok(i < 4000, 'cut before 4,000 more');
        await delivery.toSession(message(jid, `more-${i}`, body), target);
      }
      assert.deepEqual(await pending, { ok: false, reason: 'refused', detail: SESSION_GONE });
      assert.equal(back.has('w-never'), false, 'its sender still has it: the edge does not route it again');
    } finally {
      c.close();
    }
  });
});

/** The delivery-key window (edge.deliveryDedupeWindow) keeps a session's last N keys: older ones leave in order. */
describe('edge delivery keys: a window of the last N per session', () => {
  let h: EdgeHarness;
  before(async () => {
    h = await startEdge({ edge: { deliveryDedupeWindow: 2 } }, { router: false });
    await h.addUser('alice', 'secret');
  });
  after(() => h.stop());

  test('a key is written again once two newer ones pushed it out; a key still in the window is not', async () => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    try {
      const jid = await c.login(DOMAIN, 'alice', 'secret', 'window');
      const { sessionId } = (await h.registry.get(jid))!;
      const target = { edgeId: h.edge.edgeId, sessionId };
      const delivery = new Delivery(h.bus, 2_000);
      const keyed = (id: string, key: string): StanzaEnvelope => ({
        from: 'room@conference.example.test/n',
        to: jid,
        kind: 'MESSAGE',
        type: 'groupchat',
        id,
        xml: Buffer.from(`<message from="room@conference.example.test/n" to="${jid}" type="groupchat" id="${id}"><body>b</body></message>`),
        dedupeKey: key,
      });
      // window 2: after k1 k2 k3 it holds k2 k3; k1 again is new (then k3 k1); k3 again is a repeat; k2 again is new
      for (const [id, key] of [
        ['1', 'k1'],
        ['2', 'k2'],
        ['3', 'k3'],
        ['1-again', 'k1'],
        ['3-again', 'k3'],
        ['2-again', 'k2'],
      ] as const)
        assert.deepEqual(await delivery.toSession(keyed(id, key), target), { ok: true });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await c.element()).attrs.id!);
      assert.deepEqual(ids, ['1', '2', '3', '1-again', '2-again']);
    } finally {
      c.close();
    }
  });
});
