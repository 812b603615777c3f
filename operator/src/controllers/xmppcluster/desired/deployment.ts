import { nodeOptions, quantityBytes } from '#libs/runtime';
import { HTTP_PORT, declaration, internalPorts, servedPorts } from '../../../api/v1alpha1/components.js';
import type { ComponentName, ComponentSpec } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { CONFIG_HASH_ANNOTATION, meta, names, selectorLabels } from '../names.js';
import { podServiceAccountName } from './service-account.js';
import { ADMIN_TOKEN, CONFIG_DIR, MONGODB_CREDENTIALS, NATS_CREDENTIALS, TLS_DIR, TURN_SECRET } from './glider-config.js';
import { TURN_SECRET_KEY } from '../turn-secret.js';
import { directorySecretsVolume } from './sign-on-config.js';

export interface DeploymentInputs {
  replicas: number;
  configHash: string;
  tlsSecretName: string;
  /** The cluster's admin token Secret (key `token`), mounted where the admin API is served. */
  adminTokenSecretName: string;
  image: { repository: string; tag: string };
}

/** The key of the admin token Secret (admin-token.ts). */
export const ADMIN_TOKEN_KEY = 'token';

const dirOf = (file: string): string => file.slice(0, file.lastIndexOf('/'));

/** The ports it serves to clients and in the cluster (components.ts), and health/metrics. */
function containerPorts(x: XmppCluster, c: ComponentName) {
  return [
    ...[...servedPorts(c, { webSocket: x.spec.edgeService.webSocket, federation: x.spec.federation.enabled }), ...internalPorts(c)].map((p) => ({
      name: p.name,
      containerPort: p.port,
      protocol: p.protocol ?? 'TCP',
    })),
    { name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' },
  ];
}

/**
 * One component's Deployment. Secrets are mounted as volumes (not env) so the kubelet updates the
 * certificate files in place and the edge reloads them without a restart; only a config change
 * rolls the pods (the config hash annotation). Edges roll one extra pod at a time and get the drain
 * timeout as their grace period.
 */
export function deployment(x: XmppCluster, c: ComponentName, spec: ComponentSpec, inputs: DeploymentInputs) {
  const s = x.spec;
  const app = declaration(c).app;
  if (!app) throw new Error(`no Deployment for ${c}: it has no app (components.ts)`);
  const volumes: Record<string, unknown>[] = [
    { name: 'config', configMap: { name: names.config(x) } },
    { name: 'tmp', emptyDir: {} },
  ];
  const mounts: Record<string, unknown>[] = [
    { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
    { name: 'tmp', mountPath: '/tmp' },
  ];
  volumes.push({ name: 'tls', secret: { secretName: inputs.tlsSecretName } });
  mounts.push({ name: 'tls', mountPath: TLS_DIR, readOnly: true });
  // Only the pods serving the admin API get its token (read-only; the operator made it once).
  if (internalPorts(c).some((p) => p.configKey === 'admin.grpcPort')) {
    volumes.push({
      name: 'admin-token',
      secret: { secretName: inputs.adminTokenSecretName, defaultMode: 0o440, items: [{ key: ADMIN_TOKEN_KEY, path: 'token' }] },
    });
    mounts.push({ name: 'admin-token', mountPath: dirOf(ADMIN_TOKEN), readOnly: true });
  }
  if (s.nats.credentialsSecretRef) {
    volumes.push({
      name: 'nats-credentials',
      secret: { secretName: s.nats.credentialsSecretRef.name, items: [{ key: s.nats.credentialsSecretRef.key, path: 'credentials' }] },
    });
    mounts.push({ name: 'nats-credentials', mountPath: dirOf(NATS_CREDENTIALS), readOnly: true });
  }
  if (s.mongodb.credentialsSecretRef) {
    volumes.push({
      name: 'mongodb-credentials',
      secret: { secretName: s.mongodb.credentialsSecretRef.name, items: [{ key: s.mongodb.credentialsSecretRef.key, path: 'credentials' }] },
    });
    mounts.push({ name: 'mongodb-credentials', mountPath: dirOf(MONGODB_CREDENTIALS), readOnly: true });
  }
  const directory = directorySecretsVolume(x, c);
  if (directory) {
    volumes.push(directory.volume);
    mounts.push(directory.mount);
  }
  const env: Record<string, unknown>[] = [
    { name: 'GLIDER_CONFIG', value: `${CONFIG_DIR}/config.yaml` },
    // the V8 options every Glider process starts with; the young generation's ceiling only where the
    // container may hold more than V8 would give it on its own (libs/runtime node-options.ts)
    { name: 'NODE_OPTIONS', value: ['--enable-source-maps', ...nodeOptions(quantityBytes(spec.resources?.limits?.memory))].join(' ') },
  ];
  // The bus instance id is the pod name: the operator matches load reports to pods and sends DRAIN by it.
  const idKey = declaration(c).instanceIdEnv;
  if (idKey) env.push({ name: idKey, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  for (const name of declaration(c).podIpEnv ?? []) env.push({ name, valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  const turn = c === 'mediaRelay';
  if (turn) {
    volumes.push({ name: 'turn-secret', secret: { secretName: names.turnSecret(x), defaultMode: 0o440, items: [{ key: TURN_SECRET_KEY, path: 'secret' }] } });
    mounts.push({ name: 'turn-secret', mountPath: dirOf(TURN_SECRET), readOnly: true });
    env.push(...turnAddressEnv(x));
  }
  if (s.mongodb.urlSecretRef)
    env.push({ name: 'GLIDER_STORAGE__MONGODB__URL', valueFrom: { secretKeyRef: { name: s.mongodb.urlSecretRef.name, key: s.mongodb.urlSecretRef.key } } });
  const podSettings = podScheduling(x, c, spec);
  const probe = (path: string) => ({ httpGet: { path, port: 'http' }, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 });
  const edge = c === 'edge';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(x, names.component(x, c), c),
    spec: {
      replicas: inputs.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(x, c) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: edge ? 0 : 1, maxSurge: 1 } },
      template: {
        metadata: {
          // The spec's labels and annotations first: the operator's own (selector, config hash) win.
          labels: { ...spec.podLabels, ...meta(x, '', c).labels },
          annotations: { ...spec.podAnnotations, [CONFIG_HASH_ANNOTATION]: inputs.configHash },
        },
        spec: {
          terminationGracePeriodSeconds: edge ? s.drainTimeoutSeconds + 15 : 30,
          enableServiceLinks: false,
          serviceAccountName: podServiceAccountName(x),
          automountServiceAccountToken: false,
          ...podSettings,
          securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: app,
              image: `${inputs.image.repository}:${inputs.image.tag}`,
              imagePullPolicy: s.image?.pullPolicy ?? 'IfNotPresent',
              command: ['node', `dist/apps/${app}/src/main.js`],
              env,
              ports: containerPorts(x, c),
              readinessProbe: probe('/healthz/ready'),
              livenessProbe: probe('/healthz/live'),
              startupProbe: { ...probe('/healthz/live'), failureThreshold: 30, periodSeconds: 2 },
              resources: spec.resources ?? { requests: { cpu: '100m', memory: '128Mi' } },
              volumeMounts: mounts,
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            },
          ],
          volumes,
          // the relay range must be reachable at the announced address: the node's (docs/media.md)
          ...(turn && s.turn.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
        },
      },
    },
  };
}

/**
 * Where media-relay's relay sockets bind, and what they announce when `spec.turn.publicAddress`
 * (in the config file) does not say: the node's address on the host network, else the pod's.
 */
function turnAddressEnv(x: XmppCluster): Record<string, unknown>[] {
  const field = x.spec.turn.hostNetwork ? 'status.hostIP' : 'status.podIP';
  const fromField = (name: string) => ({ name, valueFrom: { fieldRef: { fieldPath: field } } });
  return [fromField('GLIDER_MEDIA__TURN__RELAY_ADDRESS'), ...(x.spec.turn.publicAddress ? [] : [fromField('GLIDER_MEDIA__TURN__PUBLIC_ADDRESS')])];
}

/**
 * Where and with what priority the pods run: the component's nodeSelector, tolerations, affinity,
 * topology spread (a constraint without labelSelector spreads this component's pods), priority
 * class, and the cluster's image pull Secrets. Only what is set appears.
 */
export function podScheduling(x: XmppCluster, c: ComponentName, spec: ComponentSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (spec.nodeSelector) out.nodeSelector = spec.nodeSelector;
  if (spec.tolerations) out.tolerations = spec.tolerations;
  if (spec.affinity) out.affinity = spec.affinity;
  if (spec.topologySpreadConstraints)
    out.topologySpreadConstraints = spec.topologySpreadConstraints.map((t) => ({
      ...t,
      labelSelector: t.labelSelector ?? { matchLabels: selectorLabels(x, c) },
    }));
  if (spec.priorityClassName) out.priorityClassName = spec.priorityClassName;
  if (x.spec.imagePullSecrets) out.imagePullSecrets = x.spec.imagePullSecrets;
  return out;
}
