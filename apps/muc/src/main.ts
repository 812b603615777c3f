import { startTelemetry } from '#libs/telemetry';

await startTelemetry('muc');
await import('./bootstrap.js');
