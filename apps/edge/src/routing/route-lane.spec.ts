import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { decodeFrame, encodeAck, encodeBatchAck, subjects, type Ack, type BusMessage, type StanzaEnvelope } from '#libs/bus';
import { xml, type Element } from '#libs/xml';
import { waitFor } from '#libs/testing';
import { DOMAIN, startEdge, type EdgeHarness } from '../testing/edge-harness.js';
import { RawClient } from '../testing/raw-client.js';

const SM = 'urn:xmpp:sm:3';

/**
 * A session's stanzas to its router (routing/outbound.ts, RouteLane): in order, one request at a
 * time, what came meanwhile in one batch, each answered on its own (taken, or bounced to the
 * sender), and sent again one at a time to a router that does not take batches.
 */
describe('route lane', () => {
  let h: EdgeHarness;
  /** Requests to the router, as their stanzas' ids, with the request to answer. */
  const requests: { ids: string[]; batch: boolean; msg: BusMessage }[] = [];
  let autoAnswer: ((r: { ids: string[]; batch: boolean; msg: BusMessage }) => void) | undefined;
  let outstanding = 0;
  let maxOutstanding = 0;

  before(async () => {
    h = await startEdge({ edge: { sm: { enabled: true }, routeBatchMax: 3 } }, { router: false });
    await h.addUser('alice', 'secret');
    h.bus.subscribe(subjects.routerIn(0).replace(/0$/, '*'), (msg) => {
      const frame = decodeFrame(msg.data);
      const stanzas: StanzaEnvelope[] = frame.batch ? frame.batch.stanzas : frame.stanza ? [frame.stanza] : [];
      if (!stanzas.some((s) => s.kind === 'MESSAGE')) return msg.respond(encodeAck({ taken: true })); // presence and the like
      const r = { ids: stanzas.map((s) => s.id), batch: frame.batch !== undefined, msg };
      requests.push(r);
      maxOutstanding = Math.max(maxOutstanding, ++outstanding);
      autoAnswer?.(r);
    });
  });
  after(() => h.stop());
  beforeEach(() => {
    requests.length = 0;
    maxOutstanding = outstanding = 0;
    autoAnswer = undefined;
  });

  const answer = (r: { msg: BusMessage; batch: boolean }, acks: Ack[]) => {
    outstanding--;
    r.msg.respond(r.batch ? encodeBatchAck({ acks }) : encodeAck(acks[0]!));
  };
  const chat = (id: string): Element => xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id }, xml('body', {}, id));
  const login = async (resource: string) => {
    const c = await RawClient.connect({ mode: 'tls', port: h.edge.ports.directTls });
    await c.login(DOMAIN, 'alice', 'secret', resource);
    return c;
  };

  test('one request at a time; what came meanwhile goes in order in batches of routeBatchMax; each stanza answered on its own', async () => {
    const c = await login('lane');
    try {
      for (let i = 1; i <= 6; i++) c.send(chat(`m${i}`));
      await waitFor(() => requests.length === 1, { what: 'the first request' });
      // the client's next stanzas are read and wait on the lane, not in the inbound queue
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(requests.length, 1, 'a second request only after the first is answered');
      answer(requests[0]!, [{ taken: true }]);
      await waitFor(() => requests.length === 2, { what: 'the batch' });
      assert.deepEqual(requests[1]!.ids, ['m2', 'm3', 'm4']);
      assert.equal(requests[1]!.batch, true);
      // m3 is not taken: its sender learns it, the others are taken
      answer(requests[1]!, [{ taken: true }, { taken: false, error: 'no such thing' }, { taken: true }]);
      const err = await c.element();
      assert.equal(err.attrs.type, 'error');
      assert.equal(err.attrs.id, 'm3');
      await waitFor(() => requests.length === 3, { what: 'the rest' });
      assert.deepEqual(requests[2]!.ids, ['m5', 'm6']);
      answer(requests[2]!, [{ taken: true }, { taken: true }]);
      assert.equal(maxOutstanding, 1);
    } finally {
      c.close();
    }
  });

  test('a batch carries at most BATCH_XML_BYTES of XML: the stanza that would pass it goes in the next request', async () => {
    const c = await login('large');
    try {
      // 100 KiB each: two fit in 256 KiB, three (routeBatchMax) would not (and 16 would pass NATS's 1 MiB max_payload)
      const big = (id: string): Element => xml('message', { to: `bob@${DOMAIN}`, type: 'chat', id }, xml('body', {}, 'x'.repeat(100 * 1024)));
      for (let i = 1; i <= 4; i++) c.send(big(`b${i}`));
      await waitFor(() => requests.length === 1, { what: 'the first request' });
      const stream = [...h.edge.ctx.sessions.values()].find((s) => s.jid?.resource === 'large');
      assert.ok(stream, 'the session');
      await waitFor(() => stream.routeLane.waitingCount === 3, { what: 'the other three read and waiting on the lane' });
      answer(requests[0]!, [{ taken: true }]);
      await waitFor(() => requests.length === 2, { what: 'the batch' });
      assert.deepEqual(requests[1]!.ids, ['b2', 'b3']);
      answer(requests[1]!, [{ taken: true }, { taken: true }]);
      await waitFor(() => requests.length === 3, { what: 'the last one' });
      assert.deepEqual(requests[2]!.ids, ['b4']);
      assert.equal(requests[2]!.batch, false);
      answer(requests[2]!, [{ taken: true }]);
    } finally {
      c.close();
    }
  });

  test('a router that answers a batch with a plain Ack (it does not take batches) gets those stanzas again one per request, in order', async () => {
    const c = await login('old-router');
    try {
      for (let i = 1; i <= 4; i++) c.send(chat(`o${i}`));
      await waitFor(() => requests.length === 1, { what: 'the first request' });
      await new Promise((r) => setTimeout(r, 50));
      answer(requests[0]!, [{ taken: true }]);
      await waitFor(() => requests.length === 2, { what: 'the batch' });
      assert.deepEqual(requests[1]!.ids, ['o2', 'o3', 'o4']);
      outstanding--;
      requests[1]!.msg.respond(encodeAck({ taken: true })); // what an older router answers to a frame it ignored
      autoAnswer = (r) =>
        answer(
          r,
          r.ids.map(() => ({ taken: true })),
        );
      await waitFor(() => requests.length === 5, { what: 'the stanzas again, one by one' });
      assert.deepEqual(
        requests.slice(2).map((r) => [r.batch, r.ids]),
        [
          [false, ['o2']],
          [false, ['o3']],
          [false, ['o4']],
        ],
      );
    } finally {
      c.close();
    }
  });

  test('XEP-0198: an <r/> is answered after the stanzas before it were taken, and counts them all', async () => {
    const c = await login('sm');
    try {
      c.send(xml('enable', { xmlns: SM }));
      assert.equal((await c.element()).name, 'enabled');
      for (let i = 1; i <= 3; i++) c.send(chat(`s${i}`));
      c.send(xml('r', { xmlns: SM }));
      await waitFor(() => requests.length === 1, { what: 'the first request' });
      await new Promise((r) => setTimeout(r, 50));
      answer(requests[0]!, [{ taken: true }]);
      await waitFor(() => requests.length === 2, { what: 'the batch' });
      await assert.rejects(c.element(100), /timed out/, 'no <a/> while two stanzas are not taken');
      answer(requests[1]!, [{ taken: true }, { taken: true }]);
      const a = await c.element();
      assert.equal(a.name, 'a');
      assert.equal(a.attrs.h, '3');
    } finally {
      c.close();
    }
  });

  test('an unreadable answer to a lone stanza bounces it; the lane goes on', async () => {
    const c = await login('unreadable');
    try {
      c.send(chat('u1'));
      await waitFor(() => requests.length === 1, { what: 'the request' });
      outstanding--;
      requests[0]!.msg.respond(Buffer.from([0xff, 0xff, 0xff])); // not an Ack
      const err = await c.element();
      assert.deepEqual([err.attrs.type, err.attrs.id], ['error', 'u1']);
      autoAnswer = (r) =>
        answer(
          r,
          r.ids.map(() => ({ taken: true })),
        );
      c.send(chat('u2'));
      await waitFor(() => requests.length === 2, { what: 'the next stanza' });
    } finally {
      c.close();
    }
  });

  test('a request that fails bounces every stanza in it; the lane goes on with the next', async () => {
    const c = await login('fails');
    try {
      for (let i = 1; i <= 3; i++) c.send(chat(`f${i}`));
      await waitFor(() => requests.length === 1, { what: 'the first request' });
      await new Promise((r) => setTimeout(r, 50));
      answer(requests[0]!, [{ taken: true }]);
      await waitFor(() => requests.length === 2, { what: 'the batch' });
      outstanding--;
      requests[1]!.msg.respond(Buffer.from([0xff, 0xff, 0xff])); // unreadable
      const errs = [await c.element(), await c.element()];
      assert.deepEqual(
        errs.map((e) => [e.attrs.type, e.attrs.id]),
        [
          ['error', 'f2'],
          ['error', 'f3'],
        ],
      );
      autoAnswer = (r) =>
        answer(
          r,
          r.ids.map(() => ({ taken: true })),
        );
      c.send(chat('f4'));
      await waitFor(() => requests.length === 3, { what: 'the next stanza' });
      assert.deepEqual(requests[2]!.ids, ['f4']);
    } finally {
      c.close();
    }
  });
});
