import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names } from '../names.js';

export const CONFIG_DIR = '/etc/glider/config';
export const TLS_DIR = '/etc/glider/tls';
export const NATS_CREDENTIALS = '/etc/glider/secrets/nats/credentials';
export const MONGODB_CREDENTIALS = '/etc/glider/secrets/mongodb/credentials';
export const ports = { c2s: 5222, directTls: 5223, s2s: 5269, ws: 5280, wss: 5443, http: 9090, admin: 5582 };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k], v) : v;
  return out;
}

/**
 * The Glider config file (libs/config keys) every component of the cluster reads. `spec.config`
 * comes first; what the operator owns (domains, endpoints, ports, file paths) overrides it. The
 * MongoDB URL from a Secret reaches the pods as GLIDER_STORAGE__MONGODB__URL instead.
 */
export function gliderConfig(x: XmppCluster): Obj {
  const s = x.spec;
  const owned: Obj = {
    domains: s.domains,
    edge: { c2sPort: ports.c2s, directTlsPort: ports.directTls, wsPort: ports.ws, wsEnabled: s.edgeService.webSocket, wssPort: ports.wss, drainTimeoutMs: s.drainTimeoutSeconds * 1000 },
    tls: { certFile: `${TLS_DIR}/tls.crt`, keyFile: `${TLS_DIR}/tls.key`, watch: true },
    bus: { kind: 'nats', url: s.nats.url, ...(s.nats.credentialsSecretRef ? { credentialsFile: NATS_CREDENTIALS } : {}) },
    storage: {
      kind: 'mongodb',
      mongodb: { ...(s.mongodb.url ? { url: s.mongodb.url } : {}), database: s.mongodb.database, ...(s.mongodb.credentialsSecretRef ? { credentialsFile: MONGODB_CREDENTIALS } : {}) },
    },
    http: { host: '0.0.0.0', port: ports.http },
    // The admin API has no authentication of its own: it listens on the pod's loopback only, and
    // admins reach it with `kubectl exec` (docs/kubernetes.md), under Kubernetes RBAC.
    admin: { host: '127.0.0.1', grpcPort: ports.admin },
    features: { federation: s.federation },
  };
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
