/**
 * /metrics of a process with worker threads (standalone's edge workers): each thread has its own
 * OpenTelemetry meters, so the primary asks every worker for its Prometheus text and serves one
 * page: each metric family once, the primary's series as they are, a worker's with a `worker`
 * label (threads of one process, which Prometheus's pod/instance labels cannot tell apart).
 * `sum without (worker)` gives the process's total.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { ensureMetrics } from './telemetry.js';

export interface LabelledMetrics {
  /** Value of the `worker` label; none for the primary's own series. */
  worker?: string;
  text: string;
}

type Source = () => Promise<LabelledMetrics[]>;
const sources = new Set<Source>();

/** Adds the metrics of other threads to this process's /metrics; returns the remover. */
export function addMetricsSource(source: Source): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

export function hasMetricsSources(): boolean {
  return sources.size > 0;
}

/** This thread's metrics in the Prometheus text format, as its /metrics would show them. */
export async function metricsText(): Promise<string> {
  const { resourceMetrics } = await ensureMetrics().collect();
  return new PrometheusSerializer('', false, undefined, undefined, true).serialize(resourceMetrics);
}

/** This thread's metrics and every source's, merged. */
export async function mergedMetricsText(): Promise<string> {
  const parts: LabelledMetrics[] = [{ text: await metricsText() }];
  for (const s of sources) parts.push(...(await s()));
  return mergeMetrics(parts);
}

/** Groups samples by family (the text format wants each family's lines together). */
export function mergeMetrics(parts: LabelledMetrics[]): string {
  const families = new Map<string, { meta: string[]; samples: string[] }>();
  for (const part of parts) {
    let current: { meta: string[]; samples: string[] } | undefined;
    for (const line of part.text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta) {
        const name = meta[2]!;
        current = families.get(name);
        if (!current) families.set(name, (current = { meta: [], samples: [] }));
        if (!current.meta.some((m) => m.startsWith(`# ${meta[1]} `))) current.meta.push(line);
        continue;
      }
      if (line.startsWith('#')) continue;
      if (!current) families.set(line, (current = { meta: [], samples: [] }));
      current.samples.push(part.worker === undefined ? line : withWorker(line, part.worker));
    }
  }
  let out = '';
  for (const f of families.values()) out += [...f.meta, ...f.samples].join('\n') + '\n';
  return out;
}

function withWorker(sample: string, worker: string): string {
  const label = `worker="${worker.replace(/["\\\n]/g, '_')}"`;
  const brace = sample.indexOf('{');
  const space = sample.indexOf(' ');
  if (brace !== -1 && (space === -1 || brace < space)) {
    const rest = sample.slice(brace + 1);
    return `${sample.slice(0, brace)}{${label}${rest.startsWith('}') ? '' : ','}${rest}`;
  }
  return `${sample.slice(0, space)}{${label}}${sample.slice(space)}`;
}
