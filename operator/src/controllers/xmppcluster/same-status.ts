import type { XmppClusterStatus } from '../../api/v1alpha1/xmpp-cluster.schema.js';

const canon = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(canon)
    : v && typeof v === 'object' && !(v instanceof Date)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
            .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
        )
      : v instanceof Date
        ? v.toISOString().replace(/\.\d+Z$/, 'Z')
        : v;

/** True if writing `next` would change nothing (so the pass skips its status patch). */
export function sameStatus(current: XmppClusterStatus | undefined, next: XmppClusterStatus): boolean {
  return JSON.stringify(canon(current ?? {})) === JSON.stringify(canon(next));
}
