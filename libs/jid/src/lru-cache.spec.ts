import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruCache } from './lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    assert.equal(c.get('a'), 1); // a is now the most recent
    c.set('c', 3);
    assert.equal(c.get('b'), undefined);
    assert.equal(c.get('a'), 1);
    assert.equal(c.get('c'), 3);
    assert.equal(c.size, 2);
  });

  it('keeps every entry used within the last max/2 insertions, and never more than max entries', () => {
    const max = 100;
    const c = new LruCache<number, number>(max);
    for (let i = 0; i < 1000; i++) {
      c.set(i, i * 2);
      assert.ok(c.size <= max, `size ${c.size} after ${i + 1} insertions`);
      // the last max/2 keys are all there, with their values
      for (let k = Math.max(0, i - max / 2 + 1); k <= i; k++) assert.equal(c.get(k), k * 2, `key ${k} after inserting ${i}`);
    }
    // one key read all along survives any number of insertions
    const d = new LruCache<string, number>(10);
    d.set('hot', 1);
    for (let i = 0; i < 200; i++) {
      d.set(`k${i}`, i);
      assert.equal(d.get('hot'), 1);
    }
  });

  it('set replaces a value in either generation without holding the key twice', () => {
    const c = new LruCache<string, number>(4);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3); // a and b are now the older generation
    c.set('a', 10);
    c.set('c', 30);
    assert.equal(c.get('a'), 10);
    assert.equal(c.get('c'), 30);
    assert.ok(c.size <= 4);
  });

  it('refuses a bound under 2', () => {
    assert.throws(() => new LruCache(1), RangeError);
    assert.throws(() => new LruCache(Number.NaN), RangeError);
  });
});
