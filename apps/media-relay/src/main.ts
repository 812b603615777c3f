import { startTelemetry } from '#libs/telemetry';

await startTelemetry('media-relay');
await import('./bootstrap.js');
