import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TokenBucket } from './token-bucket.js';

describe('TokenBucket (per-allocation bandwidth)', () => {
  it('allows the burst, then the rate, never more', () => {
    let t = 0;
    const b = new TokenBucket(1000, 1500, () => t);
    assert.equal(b.take(1000), true);
    assert.equal(b.take(600), false, 'only 500 left of the burst');
    assert.equal(b.take(500), true);
    t += 250; // 250 bytes refilled
    assert.equal(b.take(300), false);
    assert.equal(b.take(250), true);
    t += 10_000; // refill caps at the burst
    assert.equal(b.take(1500), true);
    assert.equal(b.take(1), false);
  });

  it('rate 0 is no limit', () => {
    const b = new TokenBucket(0, 1, () => 0);
    for (let i = 0; i < 100; i++) assert.equal(b.take(65_535), true);
  });
});
