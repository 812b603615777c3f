import { startTelemetry } from '#libs/telemetry';

await startTelemetry('standalone');
await import('./bootstrap.js');
