import type { ComponentName } from '../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';

export const FIELD_MANAGER = 'glider-operator';
export const FINALIZER = 'glider.im/cleanup';
export const MANAGED_BY = 'glider-operator';
export const CLUSTER_LABEL = 'glider.im/cluster';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const CONFIG_HASH_ANNOTATION = 'glider.im/config-hash';
export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

/** Kubernetes names are DNS labels: mediaRelay becomes media-relay. */
export const componentSlug = (c: ComponentName): string => c.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);

export const names = {
  component: (x: XmppCluster, c: ComponentName) => `${x.metadata.name}-${componentSlug(c)}`,
  config: (x: XmppCluster) => `${x.metadata.name}-config`,
  caSecret: (x: XmppCluster) => `${x.metadata.name}-ca`,
  tlsSecret: (x: XmppCluster) => (x.spec.tls.source === 'secret' ? x.spec.tls.secretName! : `${x.metadata.name}-tls`),
  certificate: (x: XmppCluster) => `${x.metadata.name}-tls`,
  /** The admin API's bearer token, made once by the operator (admin-token.ts). */
  adminTokenSecret: (x: XmppCluster) => `${x.metadata.name}-admin-token`,
  /** The apps' ServiceAccount (no token mounted), unless spec.serviceAccount.name names one. */
  serviceAccount: (x: XmppCluster) => `${x.metadata.name}-app`,
  /** The TURN REST API shared secret of media-relay, made once by the operator (turn-secret.ts). */
  turnSecret: (x: XmppCluster) => `${x.metadata.name}-turn-secret`,
  /** A component's ClusterIP Service for in-cluster callers (components.ts `internal`). */
  internalService: (x: XmppCluster, service: string) => `${x.metadata.name}-${service}`,
};

export function selectorLabels(x: XmppCluster, c: ComponentName): Record<string, string> {
  return { 'app.kubernetes.io/name': 'glider', 'app.kubernetes.io/instance': x.metadata.name, [COMPONENT_LABEL]: componentSlug(c) };
}

export function labels(x: XmppCluster, c?: ComponentName): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'glider',
    'app.kubernetes.io/instance': x.metadata.name,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    [CLUSTER_LABEL]: x.metadata.name,
    ...(c ? { [COMPONENT_LABEL]: componentSlug(c) } : {}),
  };
}

export function ownerReference(x: XmppCluster) {
  return { apiVersion: x.apiVersion, kind: x.kind, name: x.metadata.name, uid: x.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

export function meta(x: XmppCluster, name: string, c?: ComponentName) {
  return { name, namespace: x.metadata.namespace!, labels: labels(x, c), ownerReferences: [ownerReference(x)] };
}
