import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from './histogram.js';

test('percentiles of a uniform distribution are within 1 %', () => {
  const h = new Histogram();
  for (let v = 1; v <= 100_000; v++) h.record(v);
  assert.equal(h.count, 100_000);
  for (const q of [0.5, 0.9, 0.99]) {
    const got = h.quantile(q);
    assert.ok(Math.abs(got - q * 100_000) / (q * 100_000) < 0.01, `q${q}: ${got}`);
  }
  assert.equal(h.quantile(0), 1);
  assert.equal(h.quantile(1), 100_000);
});

test('small values are exact', () => {
  const h = new Histogram();
  for (const v of [3, 3, 3, 7]) h.record(v);
  assert.equal(h.quantile(0.5), 3);
  assert.equal(h.quantile(0.99), 7);
  assert.equal(h.mean(), 4);
});

test('merging serialised histograms equals recording everything in one', () => {
  const a = new Histogram();
  const b = new Histogram();
  const all = new Histogram();
  for (let i = 0; i < 5000; i++) {
    const v = (i * 7919) % 30_000;
    (i % 2 ? a : b).record(v);
    all.record(v);
  }
  const merged = Histogram.from(JSON.parse(JSON.stringify(a.toJSON()))).merge(b.toJSON());
  assert.deepEqual(merged.toJSON(), all.toJSON());
  assert.equal(merged.quantile(0.99), all.quantile(0.99));
});

test('an empty histogram reports zeros', () => {
  const h = new Histogram();
  assert.equal(h.quantile(0.5), 0);
  assert.deepEqual(h.toJSON(), { buckets: [], count: 0, sum: 0, min: 0, max: 0 });
});
