import { KubeConfig } from '@kubernetes/client-node';
import { ensureMetrics } from '#libs/telemetry';
import { NatsLoadSource } from './autoscaler/nats-load-source.js';
import { Manager } from './manager.js';
import { HealthServer } from './runtime/health-server.js';
import { operatorSettings } from './operator-settings.js';
import { createLogger } from './runtime/logger.js';

const settings = operatorSettings();
const log = createLogger(settings.logLevel);
const kc = new KubeConfig();
if (settings.kubeconfig) kc.loadFromFile(settings.kubeconfig);
else kc.loadFromDefault();

const manager = new Manager({
  kubeConfig: kc,
  watchNamespace: '',
  watchNamespaces: settings.watchNamespaces,
  leaseNamespace: settings.podNamespace,
  identity: settings.identity,
  image: settings.image,
  loadSourceFactory: (url, credentials) => new NatsLoadSource(url, credentials),
  log,
  workers: settings.workers,
  resyncMs: settings.resyncSeconds * 1000,
  leaseDurationSeconds: settings.leaseDurationSeconds,
  renewPeriodMs: Math.max(1000, (settings.leaseDurationSeconds * 1000) / 3),
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const timer = setTimeout(() => process.exit(1), 25_000).unref();
  await manager.stop();
  await health.close();
  clearTimeout(timer);
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

// main.ts started OpenTelemetry first: this is its Prometheus exporter.
const prometheus = ensureMetrics();
const health = new HealthServer({
  ready: () => manager.hasSynced,
  leader: () => manager.isLeader,
  metrics: (req, res) => prometheus.getMetricsRequestHandler(req, res),
});
await health.listen(settings.healthPort);
await manager.start();
log.info({ identity: settings.identity, watchNamespaces: settings.watchNamespaces.join(',') || '(all)' }, 'glider operator started');
