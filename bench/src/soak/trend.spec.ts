import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flatness, linearFit } from './trend.js';

test('linearFit recovers a line and says how well it fits', () => {
  const xs = [0, 10, 20, 30, 40];
  const fit = linearFit(
    xs,
    xs.map((x) => 5 + 0.5 * x),
  );
  assert.ok(fit);
  assert.ok(Math.abs(fit.slope - 0.5) < 1e-12);
  assert.ok(Math.abs(fit.intercept - 5) < 1e-12);
  assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
  assert.equal(linearFit([3], [1]), undefined, 'one sample has no trend');
  assert.equal(linearFit([3, 3], [1, 2]), undefined, 'no spread in x has no trend');
  assert.equal(linearFit(xs, [7, 7, 7, 7, 7])?.slope, 0);
});

test('flatness: noise around a level passes, a steady climb past the tolerance fails', () => {
  const xs = Array.from({ length: 60 }, (_, i) => i * 10);
  const noisy = xs.map((_, i) => 1000 + (i % 2 === 0 ? 15 : -15));
  const flat = flatness('rss', 'MiB', xs, noisy, { relative: 0.02, absolute: 0 });
  assert.equal(flat.flat, true, `growth ${flat.growth}`);
  // 1,000 MiB climbing 0.1 MiB/s for 590 s: +59 MiB > 2 % of the mean
  const leak = flatness(
    'rss',
    'MiB',
    xs,
    xs.map((x) => 1000 + 0.1 * x),
    { relative: 0.02, absolute: 0 },
  );
  assert.equal(leak.flat, false);
  assert.ok(Math.abs(leak.growth - 59) < 1e-9);
  // a near-zero series judged by its absolute floor
  const lag = flatness(
    'lag',
    'ms',
    xs,
    xs.map((x) => 1 + x / 1000),
    { relative: 0.25, absolute: 5 },
  );
  assert.equal(lag.flat, true);
  assert.equal(flatness('x', 'u', [0], [1], { relative: 1, absolute: 1 }).flat, false, 'no trend is no pass');
});
