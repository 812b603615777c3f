import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SequenceTracker } from './sequence-tracker.js';

test('in-order delivery counts no anomaly', () => {
  const t = new SequenceTracker();
  for (let s = 0; s < 100; s++) t.accept(s);
  assert.deepEqual(t.counts(100), { received: 100, duplicates: 0, outOfOrder: 0, lost: 0 });
});

test('duplicates are counted and not received twice', () => {
  const t = new SequenceTracker();
  for (const s of [0, 1, 1, 2, 0]) t.accept(s);
  assert.deepEqual(t.counts(3), { received: 3, duplicates: 2, outOfOrder: 0, lost: 0 });
});

test('a gap filled later is out of order, not lost', () => {
  const t = new SequenceTracker();
  for (const s of [0, 2, 3, 1, 4]) t.accept(s);
  assert.deepEqual(t.counts(5), { received: 5, duplicates: 0, outOfOrder: 1, lost: 0 });
});

test('gaps never filled and a missing tail are lost', () => {
  const t = new SequenceTracker();
  for (const s of [0, 3, 4]) t.accept(s);
  assert.deepEqual(t.counts(7), { received: 3, duplicates: 0, outOfOrder: 0, lost: 4 });
});
