/** The resource types the emulator serves; CRDs add theirs when created. */
export interface ResourceType {
  group: string; // '' for the core group
  version: string;
  resource: string; // plural
  kind: string;
  namespaced: boolean;
  status: boolean; // has a status subresource
  schema?: Record<string, unknown>; // openAPIV3Schema, for custom resources
  shortNames?: string[];
}

export const typeKey = (group: string, version: string, resource: string): string => `${group}/${version}/${resource}`;
export const apiVersionOf = (t: ResourceType): string => (t.group ? `${t.group}/${t.version}` : t.version);

export const builtinTypes: ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, status: true },
  { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, status: false },
  { group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, status: false },
  { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, status: true },
  { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true, status: true },
  { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, status: false },
  { group: '', version: 'v1', resource: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, status: false },
  { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, status: true },
  { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment', namespaced: true, status: true },
  { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true, status: true },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true, status: false },
  { group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition', namespaced: false, status: true },
];
