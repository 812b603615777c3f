import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScenarioName, ScenarioResult } from '../scenarios/result.js';
import { renderComparison, renderTargets } from './compare-table.js';

const result = (scenario: ScenarioName, target: string, metrics: Record<string, number>, cpu: Record<string, number> = {}): ScenarioResult => ({
  scenario,
  target,
  params: {},
  metrics,
  generator: { processes: 1, cores: 0.1, busiest: 0.1, saturated: false },
  serverCpuPerUnitUs: cpu,
  errors: [],
});

/** The row of `scenario` in the comparison table. */
const row = (table: string, scenario: string) => table.split('\n').find((l) => l.startsWith(scenario.padEnd(8)))!;

describe('bench:compare targets (issue 16)', () => {
  it('msgs/s: met at 1.5 × the best anchor with a p99 no worse than its; each miss named', () => {
    const anchors = [result('msg', 'prosody', { msgs_per_s: 16_000, p99_ms: 49 }), result('msg', 'ejabberd', { msgs_per_s: 12_000, p99_ms: 40 })];
    const at = (msgs: number, p99: number) => row(renderComparison([...anchors, result('msg', 'glider', { msgs_per_s: msgs, p99_ms: p99 })]), 'msg');
    assert.match(at(24_000, 49), /met$/);
    assert.match(at(23_999, 49), /NOT MET \(< 1\.5× prosody\)$/);
    assert.match(at(24_000, 50), /NOT MET \(p99 50 > prosody's 49 ms\)$/);
  });

  it('idle memory: met at 2/3 of the lowest anchor; MUC is judged against ejabberd even when Prosody is ahead', () => {
    const idle = (kib: number) =>
      row(
        renderComparison([
          result('idle', 'prosody', { kib_per_conn: 69.6 }),
          result('idle', 'ejabberd', { kib_per_conn: 60 }),
          result('idle', 'glider', { kib_per_conn: kib }),
        ]),
        'idle',
      );
    assert.match(idle(40), /met$/);
    assert.match(idle(40.1), /NOT MET \(> 2\/3 of ejabberd's\)$/);
    const muc = row(
      renderComparison([
        result('muc', 'prosody', { deliveries_per_s: 30_000 }),
        result('muc', 'ejabberd', { deliveries_per_s: 20_000 }),
        result('muc', 'glider', { deliveries_per_s: 30_000 }),
      ]),
      'muc',
    );
    assert.match(muc, /ejabberd 20,000/);
    assert.match(muc, /met$/);
  });

  it('CPU per stanza against the cheapest anchor, the cluster against standalone', () => {
    const lines = renderTargets([
      result('msg', 'prosody', { msgs_per_s: 1 }, { prosody: 62 }),
      result('msg', 'ejabberd', { msgs_per_s: 1 }, { ejabberd: 115 }),
      result('msg', 'glider', { msgs_per_s: 1 }, { standalone: 41 }),
      result('msg', 'glider-cluster', { msgs_per_s: 1 }, { 'edge-1': 40, 'edge-2': 40, 'router-1': 10, nats: 10 }),
      result('login', 'glider', { logins_per_s: 300 }),
      result('login', 'glider-cluster', { logins_per_s: 199 }),
      result('idle', 'ejabberd', { kib_per_conn: 60 }),
      result('idle', 'glider-cluster', { kib_per_conn: 90, 'kib_per_conn_edge-1': 20, 'kib_per_conn_edge-2': 21, kib_per_conn_nats: 5 }),
    ]);
    assert.match(lines, /CPU µs per stanza ≤ 2\/3 of the best anchor's: glider 41, prosody 62 \(0\.66×\): met/);
    assert.match(lines, /cluster CPU µs per routed stanza ≤ 1\.5× standalone's: 100 vs 41 \(2\.44×\): NOT MET/);
    assert.match(lines, /cluster logins\/s within 1\.5× standalone's: 199 vs 300 .*: NOT MET/);
    assert.match(lines, /idle KiB per connection on a cluster edge ≤ 2\/3 of the best anchor's: 41 vs ejabberd 60: NOT MET/);
  });
});
