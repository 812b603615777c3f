import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Ledger } from './ledger.js';

function sent(n: number): Ledger {
  const l = new Ledger();
  for (let i = 0; i < n; i++) l.sentOne(i);
  return l;
}

describe('chaos ledger', () => {
  it('counts LOST as sent minus delivered, stored and bounced, by sequence number', () => {
    const l = sent(10);
    for (const s of [0, 1, 2, 3]) l.record('live', s);
    for (const s of [4, 5]) l.record('stored', s);
    l.record('bounced', 6);
    const c = l.counts();
    assert.deepEqual({ sent: c.sent, live: c.live, stored: c.stored, bounced: c.bounced, lost: c.lost }, { sent: 10, live: 4, stored: 2, bounced: 1, lost: 3 });
    assert.deepEqual(c.lostSample, [7, 8, 9]);
  });

  it('a duplicate is not a delivery of another number: LOST stays what was never seen', () => {
    const l = sent(3);
    l.record('live', 0);
    l.record('live', 0);
    l.record('stored', 0);
    l.record('live', 1);
    const c = l.counts();
    assert.equal(c.duplicates, 2);
    assert.equal(c.lost, 1);
    assert.deepEqual(c.lostSample, [2]);
  });

  it('counts order inversions within live and within stored, not between them', () => {
    const l = sent(6);
    for (const s of [0, 2, 1, 3]) l.record('live', s); // 1 after 2: one inversion
    for (const s of [4, 5]) l.record('stored', s); // stored after live: expected, not reordering
    l.record('stored', 4); // again, and lower than 5
    const c = l.counts();
    assert.equal(c.reordered, 2);
    assert.equal(c.reorderedLive, 1);
    assert.equal(c.duplicates, 1);
    assert.equal(c.lost, 0);
  });

  it('counts a message both delivered and bounced', () => {
    const l = sent(2);
    l.record('live', 0);
    l.record('bounced', 0);
    l.record('bounced', 1);
    const c = l.counts();
    assert.equal(c.deliveredAndBounced, 1);
    assert.equal(c.lost, 0);
  });

  it('refuses numbers never sent and sends out of order', () => {
    const l = sent(2);
    assert.throws(() => l.record('live', 2), /never sent/);
    assert.throws(() => l.record('live', -1), /never sent/);
    assert.throws(() => l.sentOne(5), /in order/);
  });
});
