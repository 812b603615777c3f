import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { HTTP_PORT, componentNames, declaration, internalPorts } from '../../../api/v1alpha1/components.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names } from '../names.js';
import { signOnConfig } from './sign-on-config.js';

export const CONFIG_DIR = '/etc/glider/config';
export const TLS_DIR = '/etc/glider/tls';
export const NATS_CREDENTIALS = '/etc/glider/secrets/nats/credentials';
export const MONGODB_CREDENTIALS = '/etc/glider/secrets/mongodb/credentials';
/** The admin token, from the Secret the operator makes once per cluster (admin-token.ts), on the router pods. */
export const ADMIN_TOKEN = '/etc/glider/secrets/admin/token';
/** The TURN REST API shared secret (turn-secret.ts), on the media-relay pods. */
export const TURN_SECRET = '/etc/glider/secrets/turn/secret';

/** The CRD's policy modes by libs/config's names (s2sPolicySchema). */
const POLICY_MODE = { allowList: 'allowlist', open: 'open', closed: 'closed' } as const;

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
    for (const p of [...declaration(c).ports, ...internalPorts(c)]) {
      const [first, ...rest] = p.configKey.split('.').reverse();
      out = merge(
        out,
        rest.reduce<Obj>((acc, key) => ({ [key]: acc }), { [first!]: p.port }),
      );
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
      mongodb: {
        ...(s.mongodb.url ? { url: s.mongodb.url } : {}),
        database: s.mongodb.database,
        ...(s.mongodb.credentialsSecretRef ? { credentialsFile: MONGODB_CREDENTIALS } : {}),
      },
    },
    http: { host: '0.0.0.0', port: HTTP_PORT },
    // The admin API (router pods) is reached over the pod network through the `<cluster>-admin`
    // Service: TLS with the cluster's server certificate (which covers that Service's names) and the
    // bearer token from the cluster's admin token Secret, both required (docs/security.md).
    // `kubectl exec ... gliderctl` in a router pod reads this config: the token, and the CA and
    // name to check the certificate with (the operator's CA is in the server Secret's ca.crt).
    admin: {
      host: '0.0.0.0',
      tls: true,
      tokenFile: ADMIN_TOKEN,
      tlsServerName: adminServiceHost(x),
      ...(s.tls.source === 'operator' ? { caFile: `${TLS_DIR}/ca.crt` } : {}),
    },
    // libs/config s2s: the CRD's federation block is the policy (docs/federation.md); the rest of
    // s2s (routes, trustFile, timeouts) may come from spec.config.
    s2s: {
      enabled: s.federation.enabled,
      policy: { mode: POLICY_MODE[s.federation.mode], allow: s.federation.allow, deny: s.federation.deny, dialback: s.federation.dialback },
      ...(s.federation.dane.resolver ? { dane: { resolver: s.federation.dane.resolver } } : {}),
    },
    // Only the media-relay role acts on it (libs/runtime MEDIA_ROLES); its listeners' ports are above.
    // TURN: the shared secret the operator made, and the address the relay announces when the spec
    // gives one (else the pod's or node's address, from the downward API: deployment.ts).
    // Only the muc role acts on it (apps/muc): rooms on conference.<domain> while the component runs.
    muc: { enabled: s.components.muc?.enabled ?? false },
    media: {
      enabled: s.components.mediaRelay?.enabled ?? false,
      turn: { sharedSecretFile: TURN_SECRET, ...(s.turn.publicAddress ? { publicAddress: s.turn.publicAddress } : {}) },
    },
    // libs/config directory, sso, invites: the spec's blocks with Secret references as mounted file
    // paths (sign-on-config.ts); what they leave out may still come from spec.config.
    ...signOnConfig(x),
  });
  return merge(s.config ?? {}, owned);
}

/** The admin Service's in-cluster DNS name (it is in the operator's server certificate). */
export function adminServiceHost(x: XmppCluster): string {
  return `${names.internalService(x, 'admin')}.${x.metadata.namespace!}.svc`;
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
