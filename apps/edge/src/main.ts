import { startTelemetry } from '#libs/telemetry';

await startTelemetry('edge');
await import('./bootstrap.js');
