import type { Condition } from '../../api/v1alpha1/xmpp-cluster.schema.js';

export interface Problem {
  reason: string;
  message: string;
  /** Blocking problems stop the rollout of new children (the last good ones keep running). */
  blocking: boolean;
}

/** Builds a condition, keeping lastTransitionTime when the status did not change. */
export function condition(
  previous: Condition[] | undefined,
  type: string,
  status: Condition['status'],
  reason: string,
  message: string,
  generation: number | undefined,
  now: Date,
): Condition {
  const old = previous?.find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status ? old.lastTransitionTime : now.toISOString().replace(/\.\d+Z$/, 'Z');
  return { type, status, reason, message, lastTransitionTime, ...(generation !== undefined ? { observedGeneration: generation } : {}) };
}
