import { z } from 'zod';
import { componentNames, declaration, isBuilt, notBuiltMessage, type ComponentName } from './components.js';
import { directorySpec, invitesSpec, signOnValidations, ssoSpec } from './sign-on.schema.js';

/**
 * XmppCluster (glider.im/v1alpha1): the single source of the CRD. The TypeScript types are inferred
 * from these schemas and the CRD's openAPIV3Schema is generated from them (crd.ts), so the operator
 * and the API server agree on every field. Patterns are RE2-compatible (the API server's engine);
 * `x-kubernetes-validations` carry the CEL rules.
 */
const cel = (rule: string, message: string) => ({ rule, message });
const dns1123 = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$';
const duration = z
  .string()
  .regex(/^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/)
  .min(2)
  .describe('A duration such as 2160h, 30m or 90s.');

export const domainName = z.string().min(1).max(253).regex(new RegExp(dns1123)).describe('A lower-case DNS name, e.g. example.com.');
/** A federation policy entry: a domain, or `*.domain` for its subdomains (libs/config s2s.policy). */
const domainPattern = z
  .string()
  .min(1)
  .max(255)
  .regex(new RegExp(`^(\\*\\.)?${dns1123.slice(1)}`))
  .describe('A lower-case DNS name, or *.name for its subdomains (not itself).');

export const secretKeyRef = z.strictObject({
  name: z.string().min(1).max(253).describe('Secret in the XmppCluster namespace.'),
  key: z.string().min(1).max(253).describe('Key in the Secret.'),
});

export const autoscaling = z
  .strictObject({
    minReplicas: z.number().int().min(1).max(1000),
    maxReplicas: z.number().int().min(1).max(1000),
    targetConnectionsPerReplica: z.number().int().min(1).optional().describe('Edge: open connections one replica should carry.'),
    targetStanzasPerSecondPerReplica: z.number().int().min(1).optional().describe('Stanzas per second one replica should carry.'),
    stabilizationWindowSeconds: z.number().int().min(0).max(3600).default(300).describe('Scale down only to the highest recommendation of this window.'),
  })
  .meta({ 'x-kubernetes-validations': [cel('self.minReplicas <= self.maxReplicas', 'minReplicas must not exceed maxReplicas')] });

const resourceList = z.record(z.string(), z.string().regex(/^[0-9.]+[a-zA-Z]*$/));
export const resources = z.strictObject({ requests: resourceList.optional(), limits: resourceList.optional() });

/** Labels the operator sets on its pods and selects them by: a component's podLabels cannot change them. */
export const RESERVED_POD_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
  'app.kubernetes.io/managed-by',
  'glider.im/cluster',
] as const;

// Kubernetes label values (apimachinery validation: at most 63, alphanumerics with -_. inside).
const labelValue = z
  .string()
  .max(63)
  .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/);
const dnsSubdomain = z.string().min(1).max(253).regex(new RegExp(dns1123));
const loose = z.object({}).loose();

export const podLabels = z
  .record(z.string(), labelValue)
  .meta({
    maxProperties: 64,
    'x-kubernetes-validations': [
      cel(
        RESERVED_POD_LABELS.map((l) => `!('${l}' in self)`).join(' && '),
        `podLabels must not set ${RESERVED_POD_LABELS.join(', ')}: the operator selects its pods by them`,
      ),
    ],
  })
  .describe('Extra labels on the pods (keys checked by the API server as for any label).');

/** A PodSpec topologySpreadConstraint (core/v1); labelSelector defaults to this component's pods. */
export const topologySpreadConstraint = z.strictObject({
  maxSkew: z.number().int().min(1),
  topologyKey: z.string().min(1).max(317),
  whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
  labelSelector: loose.optional().describe("Default: this component's pods (its selector labels)."),
  minDomains: z.number().int().min(1).optional(),
  nodeAffinityPolicy: z.enum(['Honor', 'Ignore']).optional(),
  nodeTaintsPolicy: z.enum(['Honor', 'Ignore']).optional(),
  matchLabelKeys: z.array(z.string().min(1).max(317)).max(16).optional(),
});

export const component = z.strictObject({
  enabled: z.boolean().default(true),
  replicas: z.number().int().min(0).max(1000).default(2).describe('Replicas when autoscaling is not set.'),
  autoscaling: autoscaling.optional(),
  resources: resources.optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  tolerations: z.array(loose).optional().describe('Pod tolerations, as in a PodSpec.'),
  affinity: z
    .strictObject({ nodeAffinity: loose.optional(), podAffinity: loose.optional(), podAntiAffinity: loose.optional() })
    .optional()
    .describe('Pod affinity, as in a PodSpec.'),
  topologySpreadConstraints: z.array(topologySpreadConstraint).max(8).optional().describe('As in a PodSpec; labelSelector defaults to the component.'),
  priorityClassName: dnsSubdomain.optional().describe('A PriorityClass for the pods.'),
  podAnnotations: z.record(z.string(), z.string()).meta({ maxProperties: 64 }).optional().describe('Extra annotations on the pods.'),
  podLabels: podLabels.optional(),
  podDisruptionBudget: z.strictObject({ maxUnavailable: z.number().int().min(0).default(1) }).optional(),
});

/**
 * A component that is not built yet (components.ts) keeps its fields, so a spec written for a later
 * release still parses, but `enabled` must stay false: the API server refuses it with the message.
 */
const notBuiltComponent = (c: ComponentName) =>
  component
    .extend({
      enabled: z
        .boolean()
        .default(false)
        .describe(`Not available in this release: ${notBuiltMessage(c)}.`),
    })
    .meta({ 'x-kubernetes-validations': [cel('!self.enabled', notBuiltMessage(c)!)] });

/** A built component that is off unless asked for (components.ts `optIn`): it needs setup first (docs/media.md). */
const optInComponent = (c: ComponentName) =>
  component.extend({
    enabled: z
      .boolean()
      .default(false)
      .describe(`Off by default: ${declaration(c).summary}; enable it once its public address and firewall are set up (docs/media.md).`),
  });

const componentSchema = (c: ComponentName) => (!isBuilt(c) ? notBuiltComponent(c) : declaration(c).optIn ? optInComponent(c) : component);

export const components = z.strictObject(
  Object.fromEntries(componentNames.map((c) => [c, componentSchema(c).default(componentSchema(c).parse({}))])) as Record<
    ComponentName,
    z.ZodDefault<typeof component>
  >,
);

export const tls = z
  .strictObject({
    source: z
      .enum(['operator', 'certManager', 'secret'])
      .default('operator')
      .describe('operator: a cluster CA the operator keeps; certManager: Certificate resources; secret: a Secret you provide.'),
    duration: duration.default('2160h'),
    renewBefore: duration.default('360h'),
    issuerRef: z
      .strictObject({ name: z.string().min(1), kind: z.enum(['Issuer', 'ClusterIssuer']).default('Issuer'), group: z.string().default('cert-manager.io') })
      .optional(),
    secretName: z.string().min(1).max(253).optional().describe('source=secret: a kubernetes.io/tls Secret.'),
    ca: z
      .strictObject({
        duration: duration.default('87600h'),
        renewBefore: duration.default('720h').describe('Also the overlap: the old CA stays trusted until it expires.'),
      })
      .meta({ 'x-kubernetes-validations': [cel('duration(self.renewBefore) < duration(self.duration)', 'ca.renewBefore must be shorter than ca.duration')] })
      .optional(),
  })
  .meta({
    'x-kubernetes-validations': [
      cel("self.source != 'certManager' || has(self.issuerRef)", 'tls.issuerRef is required when tls.source is certManager'),
      cel("self.source != 'secret' || has(self.secretName)", 'tls.secretName is required when tls.source is secret'),
      cel('duration(self.renewBefore) < duration(self.duration)', 'tls.renewBefore must be shorter than tls.duration'),
    ],
  });

export const nats = z.strictObject({
  url: z
    .string()
    .regex(/^(nats|tls):\/\/[^\s]+$/)
    .describe('NATS server URL(s), comma separated, e.g. nats://nats:4222.'),
  credentialsSecretRef: secretKeyRef.optional().describe('user:password or a token, mounted as a file.'),
});

export const mongodb = z
  .strictObject({
    url: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/[^\s]+$/)
      .optional(),
    urlSecretRef: secretKeyRef.optional().describe('A Secret key holding the URL (when it carries credentials).'),
    database: z
      .string()
      .regex(/^[^/\\. "$*<>:|?]{1,63}$/)
      .default('glider'),
    credentialsSecretRef: secretKeyRef.optional().describe('username:password on one line, mounted as a file.'),
  })
  .meta({ 'x-kubernetes-validations': [cel('has(self.url) != has(self.urlSecretRef)', 'set exactly one of mongodb.url and mongodb.urlSecretRef')] });

/**
 * Federation (libs/config `s2s`, docs/federation.md): off by default like the config; when on, the
 * edges listen on 5269/5270 (the edge Service offers them) and talk to the domains the policy allows.
 */
export const federation = z.strictObject({
  enabled: z.boolean().default(false).describe('Federate with other XMPP servers (s2s.enabled); the edge Service offers 5269 and 5270.'),
  mode: z
    .enum(['allowList', 'open', 'closed'])
    .default('allowList')
    .describe('allowList: only the domains in allow; open: every domain; closed: none. deny applies on top of allowList and open.'),
  allow: z.array(domainPattern).max(1000).meta({ 'x-kubernetes-list-type': 'set' }).default([]),
  deny: z.array(domainPattern).max(1000).meta({ 'x-kubernetes-list-type': 'set' }).default([]),
  dialback: z
    .boolean()
    .default(false)
    .describe(
      'XEP-0220 dialback (only over TLS) for allowed domains whose certificate does not validate, both ways (s2s.policy.dialback). Off: partners authenticate by certificate.',
    ),
  dane: z
    .strictObject({
      resolver: z
        .string()
        .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'host:port or [v6]:port')
        .optional()
        .describe(
          'DNSSEC-validating resolver (host:port) for DANE, RFC 7673 (s2s.dane.resolver): SRV, address and TLSA records of remote domains are asked there and its AD bit is trusted, so the edge pods must reach it over a link you trust (e.g. an unbound Service in the cluster, unbound.dns.svc.cluster.local:53, with a NetworkPolicy, or a resolver on the node). Absent: DANE off.',
        ),
    })
    .default({})
    .describe(
      'DANE for federation (docs/federation.md "DANE"): partners published by DNSSEC-signed TLSA records are authenticated by them; a mismatch refuses the partner.',
    ),
});

/** media-relay's TURN relay in Kubernetes (docs/media.md "In Kubernetes"). */
export const turn = z.strictObject({
  hostNetwork: z
    .boolean()
    .default(false)
    .describe(
      'Run media-relay pods on the node network so the relay port range (config media.turn.relayPortMin..Max) is reachable at the node address: needed for callers outside the cluster network; one media-relay pod per node.',
    ),
  publicAddress: z
    .string()
    .regex(/^[0-9A-Fa-f:.]{2,45}$/, 'an IPv4 or IPv6 address')
    .optional()
    .describe('Address the relay announces to callers (a public IP routed to the node); default: the node IP with hostNetwork, else the pod IP.'),
});

const specFields = z.strictObject({
  domains: z
    .array(domainName)
    .min(1)
    .max(100)
    .meta({ 'x-kubernetes-list-type': 'set' })
    .describe('XMPP domains served (no duplicates); the first is the primary.'),
  image: z
    .strictObject({
      repository: z.string().min(1).optional(),
      tag: z.string().min(1).optional(),
      pullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
    })
    .optional()
    .describe("Defaults to the operator's own release image."),
  imagePullSecrets: z
    .array(z.strictObject({ name: dnsSubdomain }))
    .max(16)
    .optional()
    .describe("Secrets to pull the image with, for every component's pods (one image serves them all)."),
  serviceAccount: z
    .strictObject({
      name: dnsSubdomain.optional().describe('Use this existing ServiceAccount instead of the one the operator makes, <cluster>-app.'),
      annotations: z
        .record(z.string(), z.string())
        .meta({ maxProperties: 64 })
        .optional()
        .describe('On the ServiceAccount the operator makes (e.g. workload identity).'),
    })
    .meta({
      'x-kubernetes-validations': [
        cel(
          '!has(self.name) || !has(self.annotations)',
          'serviceAccount.annotations apply only to the ServiceAccount the operator makes; annotate your own (serviceAccount.name) yourself',
        ),
      ],
    })
    .default({})
    .describe("The pods' ServiceAccount; Glider's apps never call the Kubernetes API, so no token is mounted."),
  nats,
  mongodb,
  components: components.default(components.parse({})),
  edgeService: z
    .strictObject({
      type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).default('LoadBalancer'),
      annotations: z.record(z.string(), z.string()).optional(),
      webSocket: z.boolean().default(true).describe('Expose the RFC 7395 WebSocket ports (5280 plain for a TLS proxy, 5443 TLS).'),
    })
    .default({ type: 'LoadBalancer', webSocket: true }),
  tls: tls.default(tls.parse({})),
  federation: federation.default(federation.parse({})),
  turn: turn.default(turn.parse({})),
  directory: directorySpec.optional(),
  sso: ssoSpec.optional(),
  invites: invitesSpec.optional(),
  drainTimeoutSeconds: z.number().int().min(1).max(3600).default(60).describe('How long an edge may take to drain before scale-down goes ahead.'),
  deletePersistentVolumeClaims: z.boolean().default(false).describe('On delete, also delete PVCs labelled with this cluster (data!).'),
  config: z.object({}).loose().optional().describe('Further Glider config keys (libs/config), merged into the generated config file.'),
});

/** Rules across fields: the sign-on blocks name served domains (sign-on.schema.ts). */
export const xmppClusterSpec = specFields.meta({ 'x-kubernetes-validations': signOnValidations });

export const condition = z.strictObject({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
});

export const componentStatus = z.strictObject({
  replicas: z.number().int().optional(),
  readyReplicas: z.number().int().optional(),
  desiredReplicas: z.number().int().optional(),
  draining: z.array(z.strictObject({ pod: z.string(), since: z.string() })).optional(),
});

export const certificateStatus = z.strictObject({
  secretName: z.string().optional(),
  notAfter: z.string().optional(),
  serialNumber: z.string().optional(),
  caNotAfter: z.string().optional(),
});

export const xmppClusterStatus = z.strictObject({
  observedGeneration: z.number().int().optional(),
  phase: z.enum(['Pending', 'Progressing', 'Ready', 'Degraded', 'Deleting']).optional(),
  readyComponents: z.string().optional().describe('ready/enabled components, e.g. 3/3.'),
  conditions: z
    .array(condition)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
    .optional(),
  components: z.record(z.string(), componentStatus).optional(),
  certificate: certificateStatus.optional(),
});

export type XmppClusterSpec = z.output<typeof xmppClusterSpec>;
export type XmppClusterSpecInput = z.input<typeof xmppClusterSpec>;
export type XmppClusterStatus = z.output<typeof xmppClusterStatus>;
export type Condition = z.output<typeof condition>;
export type ComponentSpec = z.output<typeof component>;
export { componentNames, type ComponentName };
