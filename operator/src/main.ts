import { argv, exit } from 'node:process';
import { SETTINGS_HELP, builtVersion } from './operator-settings.js';

// The image's entrypoint: `--help` and `--version` answer without a cluster (the image smoke test).
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(
    `glider-operator ${builtVersion()}: reconciles XmppCluster resources (glider.im/v1alpha1).\n\nUsage: glider-operator [--help] [--version]\n\n${SETTINGS_HELP}`,
  );
  exit(0);
}
if (argv.includes('--version')) {
  console.log(builtVersion());
  exit(0);
}
const unknown = argv.slice(2);
if (unknown.length > 0) {
  console.error(`glider-operator: unknown argument ${unknown[0]} (it is configured by its environment; see --help)`);
  exit(2);
}

import { startTelemetry } from '#libs/telemetry';

// The same OpenTelemetry start as every app's (service glider-operator): metrics on /metrics and,
// with GLIDER_TELEMETRY__OTLP_ENDPOINT, over OTLP.
await startTelemetry('operator');
await import('./bootstrap.js');
