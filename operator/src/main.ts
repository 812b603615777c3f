import { startTelemetry } from '#libs/telemetry';

// The same OpenTelemetry start as every app's (service glider-operator): metrics on /metrics and,
// with GLIDER_TELEMETRY__OTLP_ENDPOINT, over OTLP.
await startTelemetry('operator');
await import('./bootstrap.js');
