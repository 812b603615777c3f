import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** The operator's own settings, from its Deployment's env (set by the Helm chart). */
export interface OperatorSettings {
  watchNamespace: string;
  podNamespace: string;
  identity: string;
  image: { repository: string; tag: string };
  logLevel: string;
  leaseDurationSeconds: number;
  resyncSeconds: number;
  workers: number;
  healthPort: number;
  kubeconfig?: string;
  /** WATCH_NAMESPACE as a list (a namespace or a comma-separated list); empty: every namespace. */
  watchNamespaces: string[];
}

/**
 * The version this operator was built from (package.json beside dist/, also in the image), which is
 * the tag `npm run image` gives both images and the chart's appVersion: the app image an operator
 * deploys by default is the one built with it.
 */
export function builtVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || pkg.version === '') throw new Error('package.json beside dist/ has no version');
  return pkg.version;
}

/** The environment the operator reads (its --help). */
export const SETTINGS_HELP = `Environment:
  KUBECONFIG              kubeconfig file (default: in-cluster service account, else ~/.kube/config)
  WATCH_NAMESPACE         namespace whose XmppClusters it manages (default: all)
  POD_NAMESPACE, POD_NAME its Lease's namespace and its identity (default: default, the host name)
  APP_IMAGE_REPOSITORY    Glider image for clusters that name none (default: ghcr.io/glider-im/glider)
  APP_IMAGE_TAG           its tag (default: this operator's version)
  LOG_LEVEL               fatal|error|warn|info|debug|trace (default: info)
  LEASE_DURATION_SECONDS  leader Lease duration (default: 15)
  RESYNC_SECONDS, WORKERS periodic resync (default: 300) and reconcile workers (default: 2)
  HEALTH_PORT             /healthz/live, /healthz/ready, /metrics (default: 8081)`;

export function operatorSettings(env: NodeJS.ProcessEnv = process.env): OperatorSettings {
  const int = (name: string, dflt: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
    return n;
  };
  return {
    watchNamespace: env['WATCH_NAMESPACE'] ?? '',
    podNamespace: env['POD_NAMESPACE'] ?? 'default',
    identity: env['POD_NAME'] ?? hostname(),
    image: { repository: env['APP_IMAGE_REPOSITORY'] ?? 'ghcr.io/glider-im/glider', tag: env['APP_IMAGE_TAG'] || builtVersion() },
    logLevel: env['LOG_LEVEL'] ?? 'info',
    leaseDurationSeconds: int('LEASE_DURATION_SECONDS', 15),
    resyncSeconds: int('RESYNC_SECONDS', 300),
    workers: int('WORKERS', 2),
    healthPort: int('HEALTH_PORT', 8081),
    kubeconfig: env['KUBECONFIG'],
    watchNamespaces: namespaceList(env['WATCH_NAMESPACE'] ?? ''),
  };
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** `a, b` → [a, b]; a name that cannot be a namespace is an error, not a watch that never matches. */
function namespaceList(value: string): string[] {
  const names = [
    ...new Set(
      value
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean),
    ),
  ];
  const bad = names.find((n) => !DNS_LABEL.test(n));
  if (bad !== undefined) throw new Error(`WATCH_NAMESPACE: "${bad}" is not a namespace name (comma-separated DNS labels)`);
  return names;
}
