import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byKind, parsePrometheus } from './sampler.js';

test('parsePrometheus reads plain and labelled series, skipping comments', () => {
  const m = parsePrometheus(
    [
      '# HELP nodejs_eventloop_lag_p99_seconds 99th percentile',
      '# TYPE nodejs_eventloop_lag_p99_seconds gauge',
      'nodejs_eventloop_lag_p99_seconds 0.0123',
      'nodejs_gc_duration_seconds_sum{kind="minor"} 1.5',
      'nodejs_gc_duration_seconds_sum{kind="major"} 0.25',
      'nodejs_gc_duration_seconds_count{kind="minor"} 300',
      'process_resident_memory_bytes 1.2e+09',
      '',
    ].join('\n'),
  );
  assert.equal(m.get('nodejs_eventloop_lag_p99_seconds'), 0.0123);
  assert.equal(m.get('process_resident_memory_bytes'), 1.2e9);
  assert.deepEqual(byKind(m, 'nodejs_gc_duration_seconds_sum'), { minor: 1.5, major: 0.25 });
  assert.deepEqual(byKind(m, 'nodejs_gc_duration_seconds_count'), { minor: 300 });
});
