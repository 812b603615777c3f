import { componentNames } from '../../../api/v1alpha1/components.js';
import type { XmppCluster } from '../../../api/v1alpha1/types.js';

// Kubernetes qualified names (apimachinery validation IsQualifiedName): an optional DNS-subdomain
// prefix and '/', then a name of at most 63 alphanumerics with -_. inside. The CRD cannot check map
// keys (a CEL rule over them costs more than the API server allows), so the operator does, before
// it writes a Deployment the API server would refuse.
const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** apimachinery's TotalAnnotationSizeLimitB: keys and values of one object's annotations together. */
export const MAX_ANNOTATIONS_BYTES = 256 * 1024;

export function isQualifiedName(key: string): boolean {
  const slash = key.lastIndexOf('/');
  if (slash === -1) return NAME.test(key);
  const prefix = key.slice(0, slash);
  return prefix.length <= 253 && PREFIX.test(prefix) && NAME.test(key.slice(slash + 1));
}

/** What is wrong with the components' podLabels/podAnnotations keys, one message per problem. */
export function podMetadataProblems(x: XmppCluster): string[] {
  const out: string[] = [];
  for (const c of componentNames) {
    const spec = x.spec.components[c];
    if (!spec) continue;
    for (const [field, map] of [
      ['podLabels', spec.podLabels],
      ['podAnnotations', spec.podAnnotations],
    ] as const) {
      for (const key of Object.keys(map ?? {}))
        if (!isQualifiedName(key))
          out.push(
            `components.${c}.${field}: "${key}" is not a valid key (an optional DNS prefix and '/', then at most 63 of A-Z a-z 0-9 - _ . starting and ending alphanumeric)`,
          );
    }
    const bytes = Object.entries(spec.podAnnotations ?? {}).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
    if (bytes > MAX_ANNOTATIONS_BYTES) out.push(`components.${c}.podAnnotations: ${bytes} bytes, more than the ${MAX_ANNOTATIONS_BYTES} Kubernetes allows`);
  }
  return out;
}
