import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType, type CollectionResult, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';

/**
 * Counters and histograms for hot paths, with their labels bound once. The OpenTelemetry SDK hashes
 * a record's attributes on every call (a sort and a JSON string per stanza); here a caller binds
 * each label set at start-up (`family.bind({ kind: 'message' })`) and then only adds to numbers.
 * What they hold reaches /metrics and OTLP through `boundMetricsProducer` at collection time, as
 * ordinary OpenTelemetry sums and explicit-bucket histograms (cumulative).
 */
export class BoundCounter {
  value = 0;
  add(n = 1): void {
    this.value += n;
  }
}

export class BoundHistogram {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly boundaries: readonly number[]) {
    this.counts = new Float64Array(boundaries.length + 1);
  }

  /** One observation, in the family's unit (seconds for durations). */
  record(v: number): void {
    const b = this.boundaries;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (v <= b[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.counts[lo]!++;
    this.sum += v;
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Seconds since `startMs` (a `performance.now()` reading). */
  since(startMs: number): void {
    this.record((performance.now() - startMs) / 1000);
  }
}

interface Family<T> {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly series: Map<string, { attributes: Attributes; value: T }>;
}

/** Prometheus's default latency buckets, in seconds (client_golang DefBuckets). */
export const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** For work that takes milliseconds to minutes (a reconcile, a SASL exchange with its back-off). */
export const SLOW_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

const counters = new Map<string, Family<BoundCounter>>();
const histograms = new Map<string, Family<BoundHistogram> & { boundaries: readonly number[] }>();
const startTime: HrTime = hrTime();

function keyOf(attributes: Attributes): string {
  return Object.keys(attributes)
    .sort()
    .map((k) => `${k}=${String(attributes[k])}`)
    .join(',');
}

function bindIn<T>(family: Family<T>, attributes: Attributes, make: () => T): T {
  const key = keyOf(attributes);
  let s = family.series.get(key);
  if (!s) family.series.set(key, (s = { attributes: { ...attributes }, value: make() }));
  return s.value;
}

export interface CounterFamily {
  /** The counter for one label set; the same object for the same labels (bind once, keep it). */
  bind(attributes?: Attributes): BoundCounter;
}

export interface HistogramFamily {
  bind(attributes?: Attributes): BoundHistogram;
}

/** A monotonic counter family; its name ends in `_total` (Prometheus convention). Idempotent per name. */
export function counterFamily(name: string, description: string, unit = ''): CounterFamily {
  let family = counters.get(name);
  if (!family) counters.set(name, (family = { name, description, unit, series: new Map() }));
  const f = family;
  return { bind: (attributes = {}) => bindIn(f, attributes, () => new BoundCounter()) };
}

/** An explicit-bucket histogram family, name with its base unit (`_seconds`, `_bytes`). Idempotent per name. */
export function histogramFamily(name: string, description: string, unit: string, boundaries: readonly number[] = LATENCY_BUCKETS_SECONDS): HistogramFamily {
  let family = histograms.get(name);
  if (!family) histograms.set(name, (family = { name, description, unit, boundaries, series: new Map() }));
  const f = family;
  return { bind: (attributes = {}) => bindIn(f, attributes, () => new BoundHistogram(f.boundaries)) };
}

function descriptor(f: Family<unknown>): MetricData['descriptor'] {
  return { name: f.name, description: f.description, unit: f.unit, valueType: ValueType.DOUBLE };
}

/** Reads every bound counter and histogram at collection time (the Prometheus scrape, an OTLP export). */
export const boundMetricsProducer: MetricProducer = {
  async collect(): Promise<CollectionResult> {
    const endTime = hrTime();
    const metrics: MetricData[] = [];
    for (const f of counters.values()) {
      if (f.series.size === 0) continue;
      metrics.push({
        descriptor: descriptor(f),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.SUM,
        isMonotonic: true,
        dataPoints: [...f.series.values()].map((s) => ({ startTime, endTime, attributes: s.attributes, value: s.value.value })),
      });
    }
    for (const f of histograms.values()) {
      if (f.series.size === 0) continue;
      metrics.push({
        descriptor: descriptor(f),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints: [...f.series.values()].map(({ attributes, value: h }) => ({
          startTime,
          endTime,
          attributes,
          value: {
            buckets: { boundaries: [...h.boundaries], counts: [...h.counts] },
            sum: h.sum,
            count: h.count,
            ...(h.count > 0 ? { min: h.min, max: h.max } : {}),
          },
        })),
      });
    }
    return { resourceMetrics: { resource: undefined as never, scopeMetrics: [{ scope: { name: 'glider-bound' }, metrics }] }, errors: [] };
  },
};
