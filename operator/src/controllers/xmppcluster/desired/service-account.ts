import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names } from '../names.js';

/**
 * The apps' own ServiceAccount, `<cluster>-app`, unless spec.serviceAccount.name names one: Glider's
 * apps never call the Kubernetes API, so they get an identity with no RBAC and no token mounted
 * (`automountServiceAccountToken: false` here and in the pods), not the namespace's `default`.
 * Annotations are for workload identity (IRSA, GKE Workload Identity).
 */
export function serviceAccount(x: XmppCluster) {
  if (x.spec.serviceAccount.name) return undefined;
  const m = meta(x, names.serviceAccount(x));
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { ...m, ...(x.spec.serviceAccount.annotations ? { annotations: x.spec.serviceAccount.annotations } : {}) },
    automountServiceAccountToken: false,
  };
}

/** The ServiceAccount the pods run as. */
export const podServiceAccountName = (x: XmppCluster): string => x.spec.serviceAccount.name ?? names.serviceAccount(x);
