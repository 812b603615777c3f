import type { BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { constants, createHistogram, PerformanceObserver } from 'node:perf_hooks';
import { histogramFamily, type BoundHistogram } from './bound-metrics.js';

export interface RuntimeMetricsOptions {
  /** The lag gauges describe the last window of this length. */
  eventLoopLagWindowMs: number;
  eventLoopLagResolutionMs: number;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * The process's runtime, with the names prom-client gives them (what Node dashboards expect):
 * CPU seconds, resident memory, start time, V8 heap, event-loop lag over the last window, GC pauses
 * by kind. No labels: Prometheus adds the pod. Returns the stop function.
 */
export function registerRuntimeMetrics(m: Meter, opts: RuntimeMetricsOptions): () => void {
  const cpuUser = m.createObservableCounter('process_cpu_user_seconds_total', { description: 'User CPU time spent', unit: 'seconds' });
  const cpuSystem = m.createObservableCounter('process_cpu_system_seconds_total', { description: 'System CPU time spent', unit: 'seconds' });
  const cpu = m.createObservableCounter('process_cpu_seconds_total', { description: 'User and system CPU time spent', unit: 'seconds' });
  const rss = m.createObservableGauge('process_resident_memory_bytes', { description: 'Resident set size', unit: 'bytes' });
  const start = m.createObservableGauge('process_start_time_seconds', { description: 'Start time of the process since the Unix epoch', unit: 'seconds' });
  const heapTotal = m.createObservableGauge('nodejs_heap_size_total_bytes', { description: 'V8 heap allocated', unit: 'bytes' });
  const heapUsed = m.createObservableGauge('nodejs_heap_size_used_bytes', { description: 'V8 heap in use', unit: 'bytes' });
  const external = m.createObservableGauge('nodejs_external_memory_bytes', { description: 'Memory of C++ objects bound to JavaScript objects', unit: 'bytes' });
  const lagP50 = m.createObservableGauge('nodejs_eventloop_lag_p50_seconds', { description: 'Median event-loop delay over the last window', unit: 'seconds' });
  const lagP99 = m.createObservableGauge('nodejs_eventloop_lag_p99_seconds', {
    description: '99th percentile event-loop delay over the last window',
    unit: 'seconds',
  });
  const lagMax = m.createObservableGauge('nodejs_eventloop_lag_max_seconds', { description: 'Longest event-loop delay over the last window', unit: 'seconds' });
  const startedAt = Date.now() / 1000 - process.uptime();

  const lag = new EventLoopLag(opts.eventLoopLagResolutionMs);
  const timer = setInterval(() => lag.roll(), opts.eventLoopLagWindowMs);
  timer.unref();

  const gc = histogramFamily('nodejs_gc_duration_seconds', 'Garbage collection pauses by kind', 'seconds', [0.001, 0.01, 0.1, 1, 2, 5]);
  const byKind = new Map<number, BoundHistogram>(Object.entries(GC_KINDS).map(([k, kind]) => [Number(k), gc.bind({ kind })]));
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) byKind.get((e as { detail?: { kind?: number } }).detail?.kind ?? -1)?.record(e.duration / 1000);
  });
  observer.observe({ entryTypes: ['gc'] });

  const callback = (r: BatchObservableResult): void => {
    const usage = process.cpuUsage();
    const mem = process.memoryUsage();
    r.observe(cpuUser, usage.user / 1e6);
    r.observe(cpuSystem, usage.system / 1e6);
    r.observe(cpu, (usage.user + usage.system) / 1e6);
    r.observe(rss, mem.rss);
    r.observe(start, startedAt);
    r.observe(heapTotal, mem.heapTotal);
    r.observe(heapUsed, mem.heapUsed);
    r.observe(external, mem.external);
    r.observe(lagP50, lag.window.p50);
    r.observe(lagP99, lag.window.p99);
    r.observe(lagMax, lag.window.max);
  };
  const observables: Observable[] = [cpuUser, cpuSystem, cpu, rss, start, heapTotal, heapUsed, external, lagP50, lagP99, lagMax];
  m.addBatchObservableCallback(callback, observables);
  return () => {
    m.removeBatchObservableCallback(callback, observables);
    clearInterval(timer);
    lag.stop();
    observer.disconnect();
  };
}

/**
 * Event-loop delay in windows: a timer every `resolutionMs` records how much later than due it came
 * (the time since its last tick minus the resolution: the delay alone, whatever the resolution; not
 * `monitorEventLoopDelay`'s resolution plus delay), and `roll()` makes the samples so far the
 * window the gauges show, then starts a new one. The resolution only sets how many samples a window
 * has; each tick wakes an idle process, which costs this virtual machine ≈ 90 µs of CPU
 * (docs/performance.md, "Logins in a cluster, and what an idle cluster costs"). Not `monitorEventLoopDelay` with a reset
 * per window: its reset also forgets when it last ticked, so a stall whose window rolled before the
 * monitor's next tick (both overdue once the loop is free again) was never recorded at all — the
 * stall these gauges are there to show. Here the tick keeps its own time: a stall always lands in
 * the window its next tick falls in.
 */
export class EventLoopLag {
  window = { p50: 0, p99: 0, max: 0 };
  private readonly samples = createHistogram();
  private last = process.hrtime.bigint();
  private readonly ticker: NodeJS.Timeout;

  constructor(resolutionMs: number) {
    const due = BigInt(resolutionMs) * 1_000_000n;
    this.ticker = setInterval(() => {
      const now = process.hrtime.bigint();
      const late = now - this.last - due;
      this.samples.record(late > 0n ? late : 1n); // the histogram takes 1 ns and up
      this.last = now;
    }, resolutionMs);
    this.ticker.unref();
  }

  /** The samples since the last roll become the window (seconds; an empty window is 0, not NaN). */
  roll(): void {
    const h = this.samples;
    this.window = h.count > 0 ? { p50: h.percentile(50) / 1e9, p99: h.percentile(99) / 1e9, max: h.max / 1e9 } : { p50: 0, p99: 0, max: 0 };
    h.reset();
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
