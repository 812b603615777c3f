import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '#libs/testing';
import { xml } from '#libs/xml';
import { RouterHarness } from '../testing/router-harness.js';

const MESSAGES = 1000;
const SENDERS = 4;

let h: RouterHarness;
before(async () => {
  h = await RouterHarness.start({ routers: 2 });
});
after(() => h.close());

test("two routers share the partitions and keep each sender's order over 1,000 pipelined messages", async () => {
  await waitFor(() => h.routers.every((r) => r.runtime.ownedPartitions().length > 0), { what: 'both routers owning partitions' });
  const owned = h.routers.map((r) => r.runtime.ownedPartitions());
  assert.equal(owned[0]!.length + owned[1]!.length, h.config.bus.partitions);
  assert.equal(new Set(owned.flat()).size, h.config.bus.partitions, 'each partition has one owner');

  const edge = h.edge();
  await edge.keepAlive(); // longer than a dead-edge sweep on a loaded machine
  const bob = await h.createUser('bob');
  const b = await edge.bind(`${bob}/pc`);
  const senders = [];
  for (let i = 0; i < SENDERS; i++) senders.push(await edge.bind(`${await h.createUser(`sender${i}`)}/pc`));
  // Pipelined as an edge does: every request in flight at once, acks awaited together.
  const acks = [];
  for (let n = 0; n < MESSAGES; n++) {
    const s = senders[n % SENDERS]!;
    acks.push(edge.send(s, xml('message', { to: bob, type: 'chat', id: `${n}` }, xml('body', {}, `${n}`))));
  }
  assert.ok((await Promise.all(acks)).every((a) => a.taken));
  const got = await edge.waitFor(b, MESSAGES);
  for (const s of senders) {
    const seq = got.filter((m) => m.attrs.from === s.jid).map((m) => Number(m.attrs.id));
    assert.equal(seq.length, MESSAGES / SENDERS);
    assert.deepEqual(
      seq,
      [...seq].sort((x, y) => x - y),
      `order from ${s.jid}`,
    );
  }
});

// A partition moves only after its old owner has drained it and released its claim; requests in
// the moment nobody owns it are retried (requestRetrying, as the edge does), never bounced.
test('per-sender order holds while a router joins mid-stream', async () => {
  const h2 = await RouterHarness.start({ routers: 1 });
  try {
    const edge = h2.edge();
    await edge.keepAlive();
    const bob = await h2.createUser('bob');
    const b = await edge.bind(`${bob}/pc`);
    const senders = [];
    for (let i = 0; i < SENDERS; i++) senders.push(await edge.bind(`${await h2.createUser(`sender${i}`)}/pc`));
    const acks = [];
    let joining: Promise<unknown> | undefined;
    for (let n = 0; n < MESSAGES; n++) {
      if (n === MESSAGES / 2) joining = h2.addRouter('router-late');
      const s = senders[n % SENDERS]!;
      const sent = edge.send(s, xml('message', { to: bob, type: 'chat', id: `${n}` }, xml('body', {}, `${n}`)));
      acks.push(sent.catch((err: Error) => ({ taken: false, error: err.message })));
      if (n % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await joining;
    assert.ok((await Promise.all(acks)).every((a) => a.taken));
    const got = await edge.waitFor(b, MESSAGES);
    for (const s of senders) {
      const seq = got.filter((m) => m.attrs.from === s.jid).map((m) => Number(m.attrs.id));
      assert.deepEqual(
        seq,
        [...seq].sort((x, y) => x - y),
        `order from ${s.jid}`,
      );
    }
  } finally {
    await h2.close();
  }
});
