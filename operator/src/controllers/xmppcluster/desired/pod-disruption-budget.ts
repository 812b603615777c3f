import type { ComponentName, ComponentSpec } from '../../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';
import { meta, names, selectorLabels } from '../names.js';

/** A PDB so voluntary disruptions (node drains) take at most `maxUnavailable` pods at a time. */
export function podDisruptionBudget(x: XmppCluster, c: ComponentName, spec: ComponentSpec) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(x, names.component(x, c), c),
    spec: { maxUnavailable: spec.podDisruptionBudget?.maxUnavailable ?? 1, selector: { matchLabels: selectorLabels(x, c) } },
  };
}
