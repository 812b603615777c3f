import { startTelemetry } from '#libs/telemetry';

await startTelemetry('router');
await import('./bootstrap.js');
