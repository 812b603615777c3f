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
    image: { repository: env['APP_IMAGE_REPOSITORY'] ?? 'ghcr.io/glider-im/glider', tag: env['APP_IMAGE_TAG'] ?? 'latest' },
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
