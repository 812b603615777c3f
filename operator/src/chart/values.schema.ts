import { z } from 'zod';
import { xmppClusterSpec } from '../api/v1alpha1/xmpp-cluster.schema.js';

/**
 * The Helm chart's values, the source of charts/glider/values.schema.json (strict: a misspelt key is
 * an error). `cluster.spec` is the XmppCluster spec schema itself, so the first cluster is checked
 * by `helm install` as the API server would check it.
 */
const image = z.strictObject({
  repository: z.string().min(1),
  tag: z.string().default(''),
  pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
});
const anyObject = z.record(z.string(), z.unknown());
const stringMap = z.record(z.string(), z.string());
const promDuration = z.string().regex(/^[0-9]+(ms|s|m|h)$/);
/** A Prometheus Operator object the chart may render (needs its CRDs in the cluster). */
const monitor = z.strictObject({
  enabled: z.boolean().default(false),
  interval: promDuration.default('30s'),
  scrapeTimeout: promDuration.default('10s'),
  /** Extra labels, e.g. the `release` label a Prometheus's serviceMonitorSelector asks for. */
  labels: stringMap.default({}),
});

export const chartValues = z.strictObject({
  nameOverride: z.string().default(''),
  fullnameOverride: z.string().default(''),
  image,
  appImage: z.strictObject({ repository: z.string().min(1), tag: z.string().default('') }),
  imagePullSecrets: z.array(z.strictObject({ name: z.string() })).default([]),
  replicaCount: z.number().int().min(1).max(5).default(2),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  watchNamespace: z.string().default(''),
  watchNamespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)).default([]),
  leaderElection: z.strictObject({ leaseDurationSeconds: z.number().int().min(5).max(300).default(15) }),
  crds: z.strictObject({ enabled: z.boolean().default(true), keep: z.boolean().default(true) }),
  rbac: z.strictObject({ create: z.boolean().default(true) }),
  serviceAccount: z.strictObject({
    create: z.boolean().default(true),
    name: z.string().default(''),
    annotations: z.record(z.string(), z.string()).default({}),
  }),
  resources: anyObject.default({}),
  nodeSelector: z.record(z.string(), z.string()).default({}),
  tolerations: z.array(anyObject).default([]),
  affinity: anyObject.default({}),
  podAnnotations: z.record(z.string(), z.string()).default({}),
  podLabels: z.record(z.string(), z.string()).default({}),
  podSecurityContext: anyObject.default({}),
  securityContext: anyObject.default({}),
  priorityClassName: z.string().default(''),
  cluster: z.strictObject({
    enabled: z.boolean().default(false),
    name: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/)
      .default('glider'),
    spec: xmppClusterSpec.optional(),
  }),
  metrics: z.strictObject({
    /** The operator's /metrics (port 8081), for the ServiceMonitor or a plain scrape config. */
    service: z.strictObject({ enabled: z.boolean().default(true), annotations: stringMap.default({}) }),
    serviceMonitor: monitor,
    podMonitor: monitor,
    prometheusRule: z.strictObject({
      enabled: z.boolean().default(false),
      labels: stringMap.default({}),
      thresholds: z.strictObject({
        routingP99Seconds: z.number().positive().default(1),
        loginFailureRatio: z.number().gt(0).max(1).default(0.5),
        loginFailuresPerSecond: z.number().positive().default(1),
        offlineGrowthPerSecond: z.number().positive().default(1),
        certificateExpiryDays: z.number().int().min(1).default(14),
        eventLoopLagSeconds: z.number().positive().default(0.5),
        restarts: z.number().int().min(1).default(3),
      }),
    }),
    dashboards: z.strictObject({
      enabled: z.boolean().default(false),
      /** The Grafana sidecar finds ConfigMaps by this label (kube-prometheus-stack: grafana_dashboard: "1"). */
      labels: stringMap.default({ grafana_dashboard: '1' }),
      annotations: stringMap.default({}),
      /** Where the ConfigMaps go (the sidecar may watch one namespace); the release's when empty. */
      namespace: z.string().default(''),
    }),
  }),
  tests: z.strictObject({
    enabled: z.boolean().default(true),
    timeoutSeconds: z.number().int().min(10).max(600).default(60),
  }),
});

/** JSON Schema (draft 7) for values.schema.json, without the CRD-only `x-kubernetes-*` keywords. */
export function valuesJsonSchema(): Record<string, unknown> {
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v).flatMap(([k, x]): [string, unknown][] =>
              k === 'x-kubernetes-list-type' && x === 'set' ? [['uniqueItems', true]] : k.startsWith('x-kubernetes-') ? [] : [[k, strip(x)]],
            ),
          )
        : v;
  const schema = strip(z.toJSONSchema(chartValues, { target: 'draft-7', io: 'input' })) as Record<string, unknown>;
  return { ...schema, title: 'Glider Helm chart values' };
}
