import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionOf, subjects, token, untoken } from './subjects.js';

test('a JID never appears raw in a subject', () => {
  const s = subjects.edgeDeliver('edge.one*>');
  assert.equal(s.split('.').length, 5);
  assert.equal(untoken(token('alice@example.com/phone 1')), 'alice@example.com/phone 1');
});

test('partitions are stable and in range', () => {
  assert.equal(partitionOf('alice@localhost', 16), partitionOf('alice@localhost', 16));
  for (const k of ['a', 'b', 'alice@localhost', '']) {
    const p = partitionOf(k, 7);
    assert.ok(p >= 0 && p < 7);
  }
});
