import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScenarioName, ScenarioResult } from './result.js';
import { medianResults, renderRoundRatios, roundOrder } from './rounds.js';

const result = (
  round: number,
  scenario: ScenarioName,
  target: string,
  metrics: Record<string, number>,
  cpu: Record<string, number> = {},
  more: Partial<ScenarioResult> = {},
): ScenarioResult => ({
  scenario,
  target,
  params: { pairs: 50, loadavg_1m: round, round },
  metrics,
  generator: { processes: 2, cores: 0.1 * round, busiest: 0.1 * round, saturated: false },
  serverCpuPerUnitUs: cpu,
  errors: [],
  ...more,
});

describe('bench:compare --rounds', () => {
  it('alternates the order every other round', () => {
    assert.deepEqual(roundOrder(['a', 'b', 'c'], 0), ['a', 'b', 'c']);
    assert.deepEqual(roundOrder(['a', 'b', 'c'], 1), ['c', 'b', 'a']);
    assert.deepEqual(roundOrder(['a', 'b', 'c'], 2), ['a', 'b', 'c']);
  });

  it('judges medians, adds up counts so one loss in one round shows, and keeps one round’s CPU breakdown whole', () => {
    const rounds = [
      result(1, 'msg', 'glider', { msgs_per_s: 40_000, p99_ms: 30, sent: 100, lost: 0, duplicates: 0, out_of_order: 0 }, { standalone: 28 }),
      result(2, 'msg', 'glider', { msgs_per_s: 70_000, p99_ms: 15, sent: 200, lost: 1, duplicates: 0, out_of_order: 2 }, { standalone: 15 }),
      result(
        3,
        'msg',
        'glider',
        { msgs_per_s: 60_000, p99_ms: 20, sent: 150, lost: 0, duplicates: 3, out_of_order: 0 },
        { standalone: 20 },
        {
          errors: ['x'],
          generator: { processes: 2, cores: 0.3, busiest: 0.95, saturated: true },
        },
      ),
      result(1, 'msg', 'glider-cluster', { msgs_per_s: 26_000 }, { edge: 40, router: 26 }),
      result(2, 'msg', 'glider-cluster', { msgs_per_s: 45_000 }, { edge: 16, router: 20 }),
      result(3, 'msg', 'glider-cluster', { msgs_per_s: 30_000 }, { edge: 10, router: 40 }),
    ];
    const [g, c] = medianResults(rounds);
    assert.equal(g!.target, 'glider');
    assert.deepEqual(g!.metrics, { msgs_per_s: 60_000, p99_ms: 20, sent: 450, lost: 1, duplicates: 3, out_of_order: 2 });
    assert.deepEqual(g!.serverCpuPerUnitUs, { standalone: 20 });
    assert.deepEqual(g!.params, { pairs: 50, loadavg_1m: 2, rounds: 3 });
    assert.deepEqual(g!.generator, { processes: 2, cores: 0.2, busiest: 0.95, saturated: true });
    assert.deepEqual(g!.errors, ['x']);
    // totals 66, 36, 50: the round of 50, whole (not edge 16 + router 26 from two rounds)
    assert.deepEqual(c!.serverCpuPerUnitUs, { edge: 10, router: 40 });
    assert.equal(c!.metrics.msgs_per_s, 30_000);
  });

  it('a metric one round did not measure is the median of the rounds that did; latencies to 10 µs', () => {
    const [r] = medianResults([
      result(1, 'muc', 'prosody', { deliveries_per_s: 10, p50_ms: 11.88 }),
      result(2, 'muc', 'prosody', { p50_ms: 11.86 }),
      result(3, 'muc', 'prosody', { deliveries_per_s: 30 }),
    ]);
    assert.equal(r!.metrics.deliveries_per_s, 20);
    assert.equal(r!.metrics.p50_ms, 11.87);
  });

  it('prints the cluster’s ratios round by round', () => {
    const text = renderRoundRatios([
      result(1, 'msg', 'glider', {}, { standalone: 20 }),
      result(1, 'msg', 'glider-cluster', {}, { a: 30, b: 10 }),
      result(2, 'msg', 'glider', {}, { standalone: 10 }),
      result(2, 'msg', 'glider-cluster', {}, { a: 30 }),
      result(1, 'login', 'glider', { logins_per_s: 400 }),
      result(1, 'login', 'glider-cluster', { logins_per_s: 200 }),
    ]);
    assert.equal(
      text,
      [
        "cluster CPU µs per routed stanza / standalone's, by round: 2.00×, 3.00×; median 2.50×",
        "standalone logins/s / the cluster's, by round: 2.00×; median 2.00×",
      ].join('\n'),
    );
    assert.equal(renderRoundRatios([result(1, 'msg', 'glider', {}, { standalone: 20 })]), '');
  });
});
