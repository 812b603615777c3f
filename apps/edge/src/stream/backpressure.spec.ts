import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { DOMAIN, startEdge, type EdgeHarness } from '../testing/edge-harness.js';
import { RawClient } from '../testing/raw-client.js';
import type { Outcome } from './outgoing.js';

let h: EdgeHarness;
before(async () => {
  h = await startEdge({ edge: { limits: { maxWriteBufferBytes: 256 * 1024 } } });
  await h.addUser('alice', 'secret');
});
after(async () => h.stop());

for (const mode of ['tls', 'wss'] as const) {
  test(`${mode}: a client that stops reading: every stanza is settled once; it gets exactly the written ones, the rest come back unwritten (cut)`, async () => {
    const c = await RawClient.connect({ mode, port: mode === 'tls' ? h.edge.ports.directTls : h.edge.ports.wss });
    try {
      const jid = await c.login(DOMAIN, 'alice', 'secret', 'slow');
      const stream = h.edge.ctx.sessions.get((await h.registry.get(jid))!.sessionId)!;
      c.pauseReading();
      const outcomes = new Map<string, Outcome[]>();
      const settle = (o: Outcome, meta: { id: string }): void => {
        outcomes.set(meta.id, [...(outcomes.get(meta.id) ?? []), o]);
      };
      const body = 'x'.repeat(8 * 1024);
      let delivered = 0;
      const order: string[] = [];
      let sawQueue = false;
      for (let i = 0; i < 4000 && stream.state === 'bound'; i++) {
        const id = `s${i}`;
        stream.deliver(Buffer.from(`<message to="${jid}" id="${id}"><body>${body}</body></message>`), settle, { id });
        delivered++;
        order.push(id);
        sawQueue ||= stream.waitingOut.stanzas > 0;
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(stream.state, 'closing', 'cut before 4,000 stanzas of 8 KiB');
      assert.ok(sawQueue, 'stanzas waited in the stream, not in the socket');
      c.resumeReading();
      const received: string[] = [];
      for (;;) {
        const el = await c.element();
        if (el.name === 'stream:error') break;
        received.push(el.attrs.id!);
      }
      // A stanza is written once its bytes left the process (the write callback), so the ones the
      // socket still buffered at the cut settle as the client reads them.
      await waitFor(() => outcomes.size === delivered, { what: 'every stanza settled' });
      const written: string[] = [];
      let unwritten = 0;
      for (const id of order) {
        const list = outcomes.get(id)!;
        assert.equal(list.length, 1, `${id} settled once`);
        if (list[0]!.kind === 'written') written.push(id);
        else {
          assert.deepEqual(list[0], { kind: 'unwritten', reason: 'cut' });
          unwritten++;
        }
      }
      assert.ok(unwritten > 0 && written.length > 0);
      assert.deepEqual(order.slice(0, written.length), written, 'written ones first, in order');
      assert.deepEqual(received, written);
    } finally {
      c.close();
    }
  });
}
