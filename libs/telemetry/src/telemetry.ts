import { metrics, trace, type Meter, type Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { AlwaysOffSampler, ParentBasedSampler } from '@opentelemetry/sdk-trace';
import { loadConfigOrExit } from '#libs/config';
import { boundMetricsProducer } from './bound-metrics.js';
import { registerRuntimeMetrics } from './runtime-metrics.js';

export interface Telemetry {
  prometheus: PrometheusExporter;
  shutdown(): Promise<void>;
}

let current: Telemetry | undefined;
let onlyUnderSampledParents = false;

/**
 * True once startTelemetry() ran without an OTLP endpoint: this process's sampler then records a
 * span only under a sampled parent (parent-based, root off), so a span under an unsampled parent,
 * or under none, would be a no-op and callers may skip making it. False otherwise (and in tests
 * that never start telemetry), so spans are made as usual.
 */
export function spansOnlyUnderSampledParents(): boolean {
  return onlyUnderSampledParents;
}

/** Sets what spansOnlyUnderSampledParents() answers, for a test of code that reads it (startTelemetry sets it otherwise). */
export function assumeSpansOnlyUnderSampledParents(on: boolean): void {
  onlyUnderSampledParents = on;
}

/**
 * Starts OpenTelemetry: traces over OTLP when an endpoint is configured, metrics on the Prometheus
 * endpoint (served by the health server) and over OTLP. Call first in every main.ts, before the app
 * loads, so whatever is instrumented is patched in time.
 */
export async function startTelemetry(role: string): Promise<Telemetry> {
  if (current) return current;
  const config = loadConfigOrExit(role);
  const endpoint = config.telemetry.otlpEndpoint;
  const resource = resourceFromAttributes({
    'service.name': `${config.telemetry.serviceName}-${role}`,
    'service.namespace': 'glider',
  });
  const prometheus = prometheusExporter();
  const readers: MetricReader[] = [prometheus];
  if (endpoint) {
    readers.push(
      new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }), metricProducers: [boundMetricsProducer] }),
    );
  }
  const sdk = new NodeSDK({
    resource,
    // No resource detectors: the process, host and OS ones put the pid, the executable's path, the
    // command line, the user and the host name on every metric (target_info) of an endpoint anyone
    // on the network may read. Prometheus adds the pod and instance labels itself.
    resourceDetectors: [],
    traceExporter: endpoint ? new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) : undefined,
    // With nowhere to send them, spans are not recorded: a span per stanza would cost the hot path
    // for nothing. Trace context still crosses the bus, so a sampled caller's trace goes on.
    sampler: endpoint ? undefined : new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    metricReaders: readers,
    instrumentations: [],
  });
  sdk.start();
  onlyUnderSampledParents = !endpoint;
  const stopRuntime = registerRuntimeMetrics(meter('glider-runtime'), config.telemetry);
  current = {
    prometheus,
    shutdown: () => {
      stopRuntime();
      return sdk.shutdown();
    },
  };
  return current;
}

/**
 * /metrics in the Prometheus text format: no prefix, no otel_scope_* labels (a metric's name is
 * unique across scopes here, and a label on every series is only cost), with the bound counters
 * and histograms (bound-metrics.ts).
 */
function prometheusExporter(): PrometheusExporter {
  return new PrometheusExporter({ preventServerStart: true, prefix: '', withoutScopeInfo: true, metricProducers: [boundMetricsProducer] });
}

/** For tests and libraries used outside main.ts: a Prometheus exporter without the SDK. */
export function ensureMetrics(): PrometheusExporter {
  if (current) return current.prometheus;
  const prometheus = prometheusExporter();
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [prometheus] }));
  current = { prometheus, shutdown: async () => {} };
  return prometheus;
}

export function meter(name = 'glider'): Meter {
  return metrics.getMeter(name);
}

export function tracer(name = 'glider'): Tracer {
  return trace.getTracer(name);
}
