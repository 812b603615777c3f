import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { median } from './median.js';

describe('median', () => {
  it('of odd and even counts, leaving the input in its order', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([7]), 7);
    const xs = [3, 1, 2];
    median(xs);
    assert.deepEqual(xs, [3, 1, 2]);
  });
});
