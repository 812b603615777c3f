export { rootLogger, setRootLogger, type Logger } from './logger.js';
export { HealthRegistry, type HealthCheck } from './health.js';
export { startTelemetry, ensureMetrics, meter, tracer, spansOnlyUnderSampledParents, assumeSpansOnlyUnderSampledParents, type Telemetry } from './telemetry.js';
export { startHttpServer } from './http-server.js';
export { LOGGER, HEALTH } from './telemetry.tokens.js';
export {
  BoundCounter,
  BoundHistogram,
  counterFamily,
  histogramFamily,
  boundMetricsProducer,
  LATENCY_BUCKETS_SECONDS,
  SLOW_BUCKETS_SECONDS,
  type CounterFamily,
  type HistogramFamily,
} from './bound-metrics.js';
export { registerRuntimeMetrics, type RuntimeMetricsOptions } from './runtime-metrics.js';
export { addMetricsSource, metricsText, mergedMetricsText, mergeMetrics, type LabelledMetrics } from './metrics-merge.js';
