// What the soak reads from the server every interval: RSS, CPU and open fds from /proc (the whole
// process tree, as the other scenarios), and from its Prometheus endpoint the runtime metrics of
// libs/telemetry (runtime-metrics.ts): event-loop lag p99/max over the last window, V8 heap, and
// GC pauses (cumulative seconds and counts by kind, so pauses per interval are differences).
import { readdirSync } from 'node:fs';
import { treeCpuUs, treeRssKiB } from '../load/process-stats.js';

export interface Sample {
  /** Seconds since the soak began. */
  t: number;
  phase: 'connect' | 'warmup' | 'steady';
  rssKiB: number;
  cpuUs: number;
  fds: number;
  heapUsedBytes: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** Cumulative GC pause seconds and collections, by kind (minor, major, incremental, weakcb). */
  gcSeconds: Record<string, number>;
  gcCount: Record<string, number>;
  /** Why the metrics part is missing, when it is. */
  metricsError?: string;
}

/** Prometheus text exposition → `name{labels}` → value (comments and blank lines skipped). */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    if (cut < 0) continue;
    const value = Number(line.slice(cut + 1));
    if (!Number.isNaN(value)) out.set(line.slice(0, cut), value);
  }
  return out;
}

/** Values of `name{kind="…"}` by kind. */
export function byKind(metrics: Map<string, number>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = `${name}{`;
  for (const [key, value] of metrics) {
    if (!key.startsWith(prefix)) continue;
    const kind = /kind="([^"]*)"/.exec(key)?.[1];
    if (kind) out[kind] = value;
  }
  return out;
}

function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

export async function takeSample(pid: number, metricsUrl: string, t: number, phase: Sample['phase']): Promise<Sample> {
  const base = { t, phase, rssKiB: treeRssKiB(pid), cpuUs: treeCpuUs(pid), fds: fdCount(pid) };
  try {
    const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const m = parsePrometheus(await res.text());
    return {
      ...base,
      heapUsedBytes: m.get('nodejs_heap_size_used_bytes') ?? 0,
      lagP99Ms: (m.get('nodejs_eventloop_lag_p99_seconds') ?? 0) * 1000,
      lagMaxMs: (m.get('nodejs_eventloop_lag_max_seconds') ?? 0) * 1000,
      gcSeconds: byKind(m, 'nodejs_gc_duration_seconds_sum'),
      gcCount: byKind(m, 'nodejs_gc_duration_seconds_count'),
    };
  } catch (err) {
    return { ...base, heapUsedBytes: 0, lagP99Ms: 0, lagMaxMs: 0, gcSeconds: {}, gcCount: {}, metricsError: String((err as Error).message) };
  }
}
