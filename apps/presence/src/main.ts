import { startTelemetry } from '#libs/telemetry';

await startTelemetry('presence');
await import('./bootstrap.js');
