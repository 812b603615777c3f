import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { InProcessBus, keys } from '#libs/bus';
import { waitFor } from '#libs/testing';
import { S2sOutQueue } from './s2s-out-queue.js';

const logger = pino({ level: 'silent' });

test('settled entries leave the bucket only below the first unsettled one; recover gives the rest in accepted order', async () => {
  const bus = new InProcessBus();
  const kv = await bus.kv('glider_s2s_out');
  const q = new S2sOutQueue(kv, 'edge-1', logger);
  const done = [];
  for (let i = 1; i <= 4; i++) done.push(await q.put(3, 'a.test', 'b.test', `<message id='m${i}'/>`));
  const other = await q.put(3, 'a.test', 'c.test', "<message id='c1'/>");
  assert.equal((await kv.keys(keys.s2sOutPartition(3))).length, 5);
  done[1]!(); // m2 before m1: nothing may go yet (m1 would be lost to a take-over)
  done[2]!();
  done[2]!(); // settling twice is a no-op
  assert.equal(q.waiting(), 3);
  await q.release(3); // waits for purges under way (none yet)
  const next = new S2sOutQueue(kv, 'edge-2', logger);
  assert.deepEqual(
    (await next.recover(3)).map((r) => `${r.remote} ${r.xml}`),
    ["b.test <message id='m1'/>", "b.test <message id='m2'/>", "b.test <message id='m3'/>", "b.test <message id='m4'/>", "c.test <message id='c1'/>"],
  );
  // the first owner's settling still purges its own pair's prefix once m1 is settled
  done[0]!();
  await waitFor(async () => (await kv.keys(keys.s2sOutPair(3, 'a.test', 'b.test'))).length === 1, { what: 'm1..m3 purged' });
  other();
  await waitFor(async () => (await kv.keys(keys.s2sOutPair(3, 'a.test', 'c.test'))).length === 0, { what: 'c1 purged' });
  const left = await new S2sOutQueue(kv, 'edge-3', logger).recover(3);
  assert.deepEqual(
    left.map((r) => r.xml),
    ["<message id='m4'/>"],
  );
  assert.ok(left[0]!.queuedAt <= Date.now());
  assert.deepEqual(await new S2sOutQueue(kv, 'edge-3', logger).recover(2), []);
  await bus.close();
});
