import type { KubernetesObject } from '@kubernetes/client-node';
import type { ComponentName, ComponentSpec } from '../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import type { LoadBook, LoadSample, LoadSource } from '../../autoscaler/load-source.js';
import { mergePatch } from './apply.js';
import type { ControllerContext } from './context.js';
import { recordEvent } from './events.js';
import { DELETION_COST_ANNOTATION, componentSlug, selectorLabels } from './names.js';

export interface ScaleDecision {
  replicas: number;
  draining?: { pod: string; since: string }[];
  requeueAfterMs?: number;
}

type Pod = KubernetesObject & { status?: { phase?: string } };

export function podsOf(ctx: ControllerContext, x: XmppCluster, c: ComponentName): Pod[] {
  const want = selectorLabels(x, c);
  return ctx.caches.pods
    .list(x.metadata.namespace)
    .filter((p) => !p.metadata?.deletionTimestamp && Object.entries(want).every(([k, v]) => p.metadata?.labels?.[k] === v));
}

/**
 * The replicas a component should run, level-based: the spec's count, or the autoscaler's
 * recommendation from fresh load reports. An edge is never scaled down directly: the pods to remove
 * are chosen (fewest connections), marked with a low pod-deletion-cost so the ReplicaSet removes
 * exactly them, told to DRAIN, and replicas drop once each has drained, exited or timed out. The
 * draining set lives in status, so a new leader continues where the old one stopped.
 */
export async function decideReplicas(
  ctx: ControllerContext,
  x: XmppCluster,
  c: ComponentName,
  spec: ComponentSpec,
  current: number | undefined,
  bus: { source: LoadSource; book: LoadBook },
): Promise<ScaleDecision> {
  const now = ctx.now();
  const pods = podsOf(ctx, x, c);
  const samples = pods.map((p) => bus.book.get(componentSlug(c), p.metadata!.name!, now.getTime())).filter((s): s is LoadSample => !!s);
  const base = current ?? spec.autoscaling?.minReplicas ?? spec.replicas;
  const target = spec.autoscaling
    ? ctx.autoscaler.recommend(`${x.metadata.namespace}/${x.metadata.name}/${c}`, spec.autoscaling, samples, base, now.getTime())
    : spec.replicas;
  if (c !== 'edge' || current === undefined || target >= current) return { replicas: target };

  const draining = x.status?.components?.[c]?.draining ?? [];
  // The Deployment and the cluster's status come from two caches; until they agree on the replicas
  // last set, a scale-down could pick victims from a stale view (even a pod just kept): wait.
  const lastSet = x.status?.components?.[c]?.desiredReplicas;
  if (lastSet !== undefined && lastSet !== current) return { replicas: current, ...(draining.length ? { draining } : {}), requeueAfterMs: ctx.drainPollMs };
  if (draining.length === 0) {
    const load = (p: Pod) => bus.book.get('edge', p.metadata!.name!, now.getTime())?.connections ?? 0;
    const victims = [...pods]
      .sort((a, b) => load(a) - load(b) || String(b.metadata!.creationTimestamp).localeCompare(String(a.metadata!.creationTimestamp)))
      .slice(0, current - target);
    if (victims.length === 0) return { replicas: target };
    const since = now.toISOString().replace(/\.\d+Z$/, 'Z');
    for (const v of victims) {
      await mergePatch(ctx, { apiVersion: 'v1', kind: 'Pod', metadata: v.metadata }, { metadata: { annotations: { [DELETION_COST_ANNOTATION]: '-1000' } } });
      await bus.source
        .drain(v.metadata!.name!)
        .catch((err: Error) => ctx.log.warn({ pod: v.metadata!.name, err: err.message }, 'drain command failed; waiting for the timeout'));
    }
    ctx.log.info({ cluster: x.metadata.name, pods: victims.map((v) => v.metadata!.name) }, 'draining edges before scale-down');
    await recordEvent(ctx, x, 'Normal', 'DrainStarted', `scaling edge ${current} → ${target}: draining ${victims.map((v) => v.metadata!.name).join(', ')}`);
    return { replicas: current, draining: victims.map((v) => ({ pod: v.metadata!.name!, since })), requeueAfterMs: ctx.drainPollMs };
  }
  // The edge gives its clients drainTimeoutSeconds, then closes the rest: wait that and a grace.
  const timeoutMs = x.spec.drainTimeoutSeconds * 1000 + ctx.drainGraceMs;
  const done = (d: { pod: string; since: string }): boolean => {
    if (!pods.some((p) => p.metadata!.name === d.pod)) return true;
    const sinceMs = new Date(d.since).getTime() - 1000; // status times have second precision
    return bus.book.drainedSince('edge', d.pod, sinceMs, now.getTime()) || now.getTime() - sinceMs >= timeoutMs;
  };
  if (!draining.every(done)) return { replicas: current, draining, requeueAfterMs: ctx.drainPollMs };
  const replicas = Math.max(target, current - draining.length);
  await recordEvent(ctx, x, 'Normal', 'ScaledDown', `edge drained: ${current} → ${replicas} replicas`);
  return { replicas };
}
