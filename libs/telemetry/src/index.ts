export { rootLogger, setRootLogger, type Logger } from './logger.js';
export { HealthRegistry, type HealthCheck } from './health.js';
export { startTelemetry, ensureMetrics, meter, tracer, spansOnlyUnderSampledParents, type Telemetry } from './telemetry.js';
export { startHttpServer } from './http-server.js';
export { LOGGER, HEALTH } from './telemetry.tokens.js';
