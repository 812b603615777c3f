import type { CustomObjectsApi, KubernetesObject, KubernetesObjectApi } from '@kubernetes/client-node';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import type { Autoscaler } from '../../autoscaler/autoscaler.js';
import type { LoadRegistry } from '../../autoscaler/load-registry.js';
import type { Logger } from '../../runtime/logger.js';

export interface Reader<T extends KubernetesObject = KubernetesObject> {
  list(namespace?: string): readonly T[];
  get(name: string, namespace?: string): T | undefined;
}

/** What the XmppCluster reconciler reads (informer caches) and writes through (the API client). */
export interface ControllerContext {
  api: KubernetesObjectApi;
  custom: CustomObjectsApi;
  caches: {
    clusters: Reader<XmppCluster & KubernetesObject>;
    deployments: Reader;
    pods: Reader;
    secrets: Reader;
    configMaps: Reader;
    services: Reader;
    pdbs: Reader;
    serviceAccounts: Reader;
  };
  loads: LoadRegistry;
  autoscaler: Autoscaler;
  log: Logger;
  now: () => Date;
  /** The image the operator was released with, for clusters that name none. */
  image: { repository: string; tag: string };
  /** How often to look again while an edge drains. */
  drainPollMs: number;
  /** How long past drainTimeoutSeconds an edge may take before scale-down goes ahead anyway. */
  drainGraceMs: number;
}
