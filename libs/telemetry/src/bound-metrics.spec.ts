import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { counterFamily, histogramFamily } from './bound-metrics.js';
import { HealthRegistry } from './health.js';
import { startHttpServer } from './http-server.js';
import { meter } from './telemetry.js';
import { registerRuntimeMetrics } from './runtime-metrics.js';

let server: Server;
let base: string;
before(async () => {
  const started = await startHttpServer(new HealthRegistry(), '127.0.0.1', 0);
  server = started.server;
  base = `http://127.0.0.1:${started.port}`;
});
after(() => server.close());

/** What Prometheus reads. */
async function scrape(): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

test('bound counters and histograms reach the Prometheus text with their labels and buckets', async () => {
  const family = counterFamily('glider_spec_things_total', 'Things by kind');
  const msg = family.bind({ kind: 'message' });
  assert.equal(family.bind({ kind: 'message' }), msg, 'binding the same labels gives the same counter');
  msg.add();
  msg.add(2);
  family.bind({ kind: 'iq' });
  const h = histogramFamily('glider_spec_duration_seconds', 'How long', 'seconds', [0.1, 1]).bind({ op: 'get' });
  h.record(0.05);
  h.record(0.1); // on a boundary: le="0.1" (Prometheus buckets are inclusive)
  h.record(0.5);
  h.record(7);
  const text = await scrape();
  assert.match(text, /^# TYPE glider_spec_things_total counter$/m);
  assert.match(text, /^glider_spec_things_total\{kind="message"\} 3$/m);
  assert.match(text, /^glider_spec_things_total\{kind="iq"\} 0$/m);
  assert.match(text, /^# TYPE glider_spec_duration_seconds histogram$/m);
  assert.match(text, /^glider_spec_duration_seconds_bucket\{op="get",le="0.1"\} 2$/m);
  assert.match(text, /^glider_spec_duration_seconds_bucket\{op="get",le="1"\} 3$/m);
  assert.match(text, /^glider_spec_duration_seconds_bucket\{op="get",le="\+Inf"\} 4$/m);
  assert.match(text, /^glider_spec_duration_seconds_count\{op="get"\} 4$/m);
  assert.match(text, /^glider_spec_duration_seconds_sum\{op="get"\} 7.65$/m);
});

test('runtime metrics: CPU, memory, heap, event-loop lag, GC pauses, without labels', async () => {
  const stop = registerRuntimeMetrics(meter('glider-runtime-spec'), { eventLoopLagWindowMs: 1000, eventLoopLagResolutionMs: 10 });
  try {
    const text = await scrape();
    for (const name of [
      'process_cpu_seconds_total',
      'process_cpu_user_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_heap_size_total_bytes',
      'nodejs_external_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_eventloop_lag_max_seconds',
    ]) {
      assert.match(text, new RegExp(`^${name} [0-9.e+-]+$`, 'm'), `${name} missing or labelled`);
    }
    const cpu = Number(/^process_cpu_seconds_total ([0-9.e+-]+)$/m.exec(text)![1]);
    assert.ok(cpu > 0 && cpu < process.uptime() * 4, `cpu ${cpu} s is not this process's`);
    const rss = Number(/^process_resident_memory_bytes ([0-9.e+-]+)$/m.exec(text)![1]);
    assert.ok(rss > 10e6, `rss ${rss} bytes`);
  } finally {
    stop();
  }
});
