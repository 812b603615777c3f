import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SenderLanes } from './sender-lanes.js';

/** A handler the test finishes by hand. */
function held(log: string[], name: string): { fn: () => Promise<void>; release: () => void } {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return {
    fn: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
    },
    release,
  };
}

test('one sender in order, another sender meanwhile', async () => {
  const log: string[] = [];
  const lanes = new SenderLanes(10, (err) => assert.fail(String(err)));
  const a1 = held(log, 'a1');
  const a2 = held(log, 'a2');
  const b1 = held(log, 'b1');
  await lanes.admit('alice@a.test', a1.fn);
  await lanes.admit('alice@a.test', a2.fn);
  await lanes.admit('bob@a.test', b1.fn);
  // bob's stanza started although alice's first is not done; alice's second waits for her first
  assert.deepEqual(log, ['start a1', 'start b1']);
  b1.release();
  a2.release(); // done early, but a2 has not even started: it must not overtake a1
  await Promise.resolve();
  assert.deepEqual(log.includes('start a2'), false);
  a1.release();
  await lanes.idle();
  assert.deepEqual(log, ['start a1', 'start b1', 'end b1', 'end a1', 'start a2', 'end a2']);
  assert.equal(lanes.inFlight, 0);
});

test('at most `max` under way: the next admission waits for room', async () => {
  const log: string[] = [];
  const lanes = new SenderLanes(2, (err) => assert.fail(String(err)));
  const [x, y, z] = [held(log, 'x'), held(log, 'y'), held(log, 'z')];
  await lanes.admit('x@a.test', x.fn);
  await lanes.admit('y@a.test', y.fn);
  let third = false;
  const admitted = lanes.admit('z@a.test', z.fn).then(() => (third = true));
  assert.equal(lanes.inFlight, 2);
  assert.equal(third, false);
  y.release();
  await admitted;
  assert.equal(third, true);
  assert.deepEqual(log, ['start x', 'start y', 'end y', 'start z']);
  x.release();
  z.release();
  await lanes.idle();
  assert.equal(lanes.inFlight, 0);
});

test("a handler that throws is reported and does not stop its sender's next stanza", async () => {
  const errors: unknown[] = [];
  const lanes = new SenderLanes(4, (err) => errors.push(err));
  const seen: string[] = [];
  await lanes.admit('a@a.test', async () => {
    throw new Error('boom');
  });
  await lanes.admit('a@a.test', async () => {
    seen.push('next');
  });
  await lanes.idle();
  assert.deepEqual(seen, ['next']);
  assert.equal((errors[0] as Error).message, 'boom');
});
