import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { ADMIN_PORT, HTTP_PORT, componentNames, declaration } from '../../../api/v1alpha1/components.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names } from '../names.js';

export const CONFIG_DIR = '/etc/glider/config';
export const TLS_DIR = '/etc/glider/tls';
export const NATS_CREDENTIALS = '/etc/glider/secrets/nats/credentials';
export const MONGODB_CREDENTIALS = '/etc/glider/secrets/mongodb/credentials';
/** In the pod's /tmp emptyDir (deployment.ts), made by the process serving the admin API. */
export const ADMIN_TOKEN = '/tmp/glider/admin-token';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k], v) : v;
  return out;
}

/** Every declared port's config key set to its port (components.ts): where the apps listen. */
function listenerKeys(): Obj {
  let out: Obj = {};
  for (const c of componentNames) {
    for (const p of declaration(c).ports) {
      const [first, ...rest] = p.configKey.split('.').reverse();
      out = merge(out, rest.reduce<Obj>((acc, key) => ({ [key]: acc }), { [first!]: p.port }));
    }
  }
  return out;
}

/**
 * The Glider config file (libs/config keys) every component of the cluster reads. `spec.config`
 * comes first; what the operator owns (domains, endpoints, ports, file paths) overrides it. The
 * MongoDB URL from a Secret reaches the pods as GLIDER_STORAGE__MONGODB__URL instead.
 */
export function gliderConfig(x: XmppCluster): Obj {
  const s = x.spec;
  const owned: Obj = merge(listenerKeys(), {
    domains: s.domains,
    edge: { wsEnabled: s.edgeService.webSocket, drainTimeoutMs: s.drainTimeoutSeconds * 1000 },
    tls: { certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key`, watch: true },
    bus: { kind: 'nats', url: s.nats.url, ...(s.nats.credentialsSecretRef ? { credentialsFile: NATS_CREDENTIALS } : {}) },
    storage: {
      kind: 'mongodb',
      mongodb: { ...(s.mongodb.url ? { url: s.mongodb.url } : {}), database: s.mongodb.database, ...(s.mongodb.credentialsSecretRef ? { credentialsFile: MONGODB_CREDENTIALS } : {}) },
    },
    http: { host: '0.0.0.0', port: HTTP_PORT },
    // The admin API needs a bearer token (docs/security.md). Each pod makes its own in the writable
    // /tmp volume on start (the root file system is read-only); `kubectl exec ... gliderctl` in that
    // pod finds it through the same config. It stays on the pod's loopback until a shared token
    // Secret and admin.tls are wired here for callers on the pod network.
    admin: { host: '127.0.0.1', grpcPort: ADMIN_PORT, tokenFile: ADMIN_TOKEN },
    features: { federation: s.federation },
  });
  return merge(s.config ?? {}, owned);
}

export const configHash = (config: Obj): string => createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);

export function configMap(x: XmppCluster, config: Obj) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta(x, names.config(x)),
    data: { 'config.yaml': stringify(config) },
  };
}
