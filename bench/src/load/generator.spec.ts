import assert from 'node:assert/strict';
import { test } from 'node:test';
import { range, shares } from './generator.js';

test('shares split work evenly, in order, without losing any', () => {
  assert.deepEqual(shares(range(7), 3), [
    [0, 1, 2],
    [3, 4],
    [5, 6],
  ]);
  assert.deepEqual(shares(range(2), 3), [[0], [1], []]);
  assert.deepEqual(shares(range(5, 10), 1), [[10, 11, 12, 13, 14]]);
});
