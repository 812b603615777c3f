import type { XmppCluster } from '../../api/v1alpha1/types.js';
import type { ControllerContext, Reader } from './context.js';
import { CLUSTER_LABEL } from './names.js';

/** Deletes children this cluster owns that are no longer desired (e.g. a component disabled). */
export async function pruneChildren(ctx: ControllerContext, x: XmppCluster, desired: Set<string>): Promise<void> {
  const readers: [string, string, Reader][] = [
    ['apps/v1', 'Deployment', ctx.caches.deployments],
    ['v1', 'Service', ctx.caches.services],
    ['v1', 'ConfigMap', ctx.caches.configMaps],
    ['policy/v1', 'PodDisruptionBudget', ctx.caches.pdbs],
    ['v1', 'ServiceAccount', ctx.caches.serviceAccounts],
  ];
  for (const [apiVersion, kind, reader] of readers) {
    for (const o of reader.list(x.metadata.namespace)) {
      const owned = o.metadata?.ownerReferences?.some((r) => r.uid === x.metadata.uid) && o.metadata?.labels?.[CLUSTER_LABEL] === x.metadata.name;
      if (!owned || desired.has(`${kind}/${o.metadata!.name}`)) continue;
      await ctx.api
        .delete({ apiVersion, kind, metadata: { name: o.metadata!.name, namespace: o.metadata!.namespace } })
        .catch((err: Error & { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));
    }
  }
}
