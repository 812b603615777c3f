import type { KubernetesObject } from '@kubernetes/client-node';
import { configSchema } from '#libs/config';
import { componentNames, isBuilt, notBuiltMessage } from '../../api/v1alpha1/components.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { apply, applyStatus, decode, mergePatch } from './apply.js';
import type { Problem } from './conditions.js';
import type { ControllerContext } from './context.js';
import { deployment } from './desired/deployment.js';
import { configHash, configMap, gliderConfig } from './desired/glider-config.js';
import { podDisruptionBudget } from './desired/pod-disruption-budget.js';
import { podMetadataProblems } from './desired/pod-metadata.js';
import { serviceAccount } from './desired/service-account.js';
import { componentService, internalService } from './desired/services.js';
import { CLUSTER_LABEL, FINALIZER, names } from './names.js';
import { decideReplicas } from './scaling.js';
import { computeStatus, type ComponentObservation } from './status.js';
import { ensureTls } from './tls-source.js';
import { ensureAdminToken } from './admin-token.js';
import { ensureTurnSecret } from './turn-secret.js';
import { recordEvent } from './events.js';
import { pruneChildren } from './prune.js';
import { sameStatus } from './same-status.js';
import { signOnSecretRefs } from './desired/sign-on-config.js';

export interface ReconcileResult {
  requeueAfterMs?: number;
}

type Deployment = KubernetesObject & {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number; replicas?: number; updatedReplicas?: number; observedGeneration?: number };
};

/**
 * One level-based pass over an XmppCluster: it reads the cluster and its children from the caches,
 * computes what should exist, applies it, and writes status once. It does not know (or care) which
 * event brought it here, and running it twice changes nothing the second time.
 */
export async function reconcile(ctx: ControllerContext, key: string): Promise<ReconcileResult> {
  const [ns, name] = key.split('/') as [string, string];
  const x = ctx.caches.clusters.get(name, ns) as XmppCluster | undefined;
  if (!x) {
    ctx.autoscaler.forget(`${key}/`);
    return {};
  }
  if (x.metadata.deletionTimestamp) return finalize(ctx, x);
  if (!x.metadata.finalizers?.includes(FINALIZER)) {
    await mergePatch(ctx, x as KubernetesObject, {
      metadata: { finalizers: [...(x.metadata.finalizers ?? []), FINALIZER], resourceVersion: x.metadata.resourceVersion },
    });
    return {};
  }
  const problems: Problem[] = [];
  // The CRD refuses these; a cluster admitted by an older CRD still gets told, and nothing is deployed for it.
  for (const c of componentNames) {
    if (x.spec.components[c]?.enabled && !isBuilt(c)) problems.push({ reason: 'ComponentNotAvailable', message: notBuiltMessage(c)!, blocking: false });
  }
  for (const { ref, what } of secretRefs(x)) {
    const secret = ctx.caches.secrets.get(ref.name, ns) as { data?: Record<string, string> } | undefined;
    if (!secret) problems.push({ reason: 'SecretNotFound', message: `${what}: Secret ${ns}/${ref.name} not found`, blocking: true });
    else if (!secret.data?.[ref.key])
      problems.push({ reason: 'SecretKeyNotFound', message: `${what}: Secret ${ns}/${ref.name} has no key "${ref.key}"`, blocking: true });
  }
  for (const message of podMetadataProblems(x)) problems.push({ reason: 'InvalidPodSettings', message, blocking: true });
  const config = gliderConfig(x);
  const parsed = configSchema.safeParse(config);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    problems.push({ reason: 'InvalidConfig', message: `the spec makes an invalid Glider config: ${issues}`, blocking: true });
  }
  const tls = await ensureTls(ctx, x);
  problems.push(...tls.problems);
  problems.push(...(await ensureAdminToken(ctx, x)));
  if (x.spec.components.mediaRelay.enabled && isBuilt('mediaRelay')) problems.push(...(await ensureTurnSecret(ctx, x)));
  const natsRef = x.spec.nats.credentialsSecretRef;
  const natsCreds = natsRef
    ? decode((ctx.caches.secrets.get(natsRef.name, ns) as { data?: Record<string, string> } | undefined)?.data)?.[natsRef.key]
    : undefined;
  const bus = ctx.loads.ensure(x.spec.nats.url, natsCreds);
  if (bus.problem) problems.push({ reason: 'NatsUnreachable', message: bus.problem, blocking: false });

  const blocked = problems.some((p) => p.blocking);
  const observed: Record<string, ComponentObservation> = {};
  const desiredNames = new Set<string>();
  let requeue = tls.requeueAfterMs;
  const hash = configHash(config);
  if (!blocked) await apply(ctx, configMap(x, config));
  desiredNames.add(`ConfigMap/${names.config(x)}`);
  // Before the Deployments: a pod naming a ServiceAccount that does not exist is not created.
  const sa = serviceAccount(x);
  if (sa) {
    desiredNames.add(`ServiceAccount/${sa.metadata.name}`);
    if (!blocked) await apply(ctx, sa);
  }
  for (const c of componentNames) {
    const spec = x.spec.components[c];
    if (!spec?.enabled || !isBuilt(c)) continue;
    const deployName = names.component(x, c);
    let live: Deployment | undefined = ctx.caches.deployments.get(deployName, ns);
    const decision = await decideReplicas(ctx, x, c, spec, live?.spec?.replicas, bus);
    if (decision.requeueAfterMs) requeue = Math.min(requeue ?? Infinity, decision.requeueAfterMs);
    desiredNames.add(`Deployment/${deployName}`);
    if (!blocked) {
      const image = { repository: x.spec.image?.repository ?? ctx.image.repository, tag: x.spec.image?.tag ?? ctx.image.tag };
      // Observed from what the apply returned, not the cache: a template change raises the
      // generation at once, so the old status no longer counts as rolled out.
      live = await apply(
        ctx,
        deployment(x, c, spec, {
          replicas: decision.replicas,
          configHash: hash,
          tlsSecretName: tls.cert.secretName,
          adminTokenSecretName: names.adminTokenSecret(x),
          image,
        }),
      );
    }
    if (spec.autoscaling ? spec.autoscaling.minReplicas > 1 : spec.replicas > 1) {
      desiredNames.add(`PodDisruptionBudget/${deployName}`);
      if (!blocked) await apply(ctx, podDisruptionBudget(x, c, spec));
    }
    const service = componentService(x, c);
    if (service) {
      desiredNames.add(`Service/${deployName}`);
      if (!blocked) await apply(ctx, service);
    }
    const inCluster = internalService(x, c);
    if (inCluster) {
      desiredNames.add(`Service/${inCluster.metadata.name}`);
      if (!blocked) await apply(ctx, inCluster);
    }
    observed[c] = observe(live, decision.replicas, decision.draining);
  }
  if (!blocked) await pruneChildren(ctx, x, desiredNames);
  const status = computeStatus(x, observed, problems, tls.cert, ctx.now());
  if (!sameStatus(x.status, status)) await applyStatus(ctx, x, status);
  // What blocks a rollout is also a Warning Event, every pass it still does: the recorder counts
  // the repeats on one Event (count, lastTimestamp), so a cluster stuck for hours shows one line.
  for (const p of problems) if (p.blocking) await recordEvent(ctx, x, 'Warning', p.reason, p.message);
  // Not everything that unblocks a cluster is watched (a CRD installed, NATS back): look again.
  if (status.phase !== 'Ready') requeue = Math.min(requeue ?? Infinity, blocked ? 30_000 : 10_000);
  return requeue === undefined || requeue === Infinity ? {} : { requeueAfterMs: requeue };
}

function observe(live: Deployment | undefined, desired: number, draining?: { pod: string; since: string }[]): ComponentObservation {
  const st = live?.status;
  // Rolled out as `kubectl rollout status` sees it: the controller saw this generation, every
  // replica is of the current template, and the old ReplicaSets' pods are gone (status.replicas
  // counts them too; before this, a cluster was Ready while the old pods still ran).
  const current =
    live?.spec?.replicas === desired &&
    (st?.updatedReplicas ?? 0) >= desired &&
    (st?.replicas ?? 0) <= desired &&
    (st?.observedGeneration ?? 0) >= (live?.metadata?.generation ?? 0);
  return { desired, replicas: st?.replicas ?? 0, ready: st?.readyReplicas ?? 0, updated: current || desired === 0, ...(draining ? { draining } : {}) };
}

function secretRefs(x: XmppCluster): { ref: { name: string; key: string }; what: string }[] {
  const out: { ref: { name: string; key: string }; what: string }[] = [];
  if (x.spec.nats.credentialsSecretRef) out.push({ ref: x.spec.nats.credentialsSecretRef, what: 'nats.credentialsSecretRef' });
  if (x.spec.mongodb.urlSecretRef) out.push({ ref: x.spec.mongodb.urlSecretRef, what: 'mongodb.urlSecretRef' });
  if (x.spec.mongodb.credentialsSecretRef) out.push({ ref: x.spec.mongodb.credentialsSecretRef, what: 'mongodb.credentialsSecretRef' });
  out.push(...signOnSecretRefs(x));
  return out;
}

/** Deletion: children go by owner-reference GC; PVCs only when asked; then the finalizer comes off. */
async function finalize(ctx: ControllerContext, x: XmppCluster): Promise<ReconcileResult> {
  if (!x.metadata.finalizers?.includes(FINALIZER)) return {};
  const ns = x.metadata.namespace!;
  if (x.spec.deletePersistentVolumeClaims) {
    const pvcs = await ctx.api.list('v1', 'PersistentVolumeClaim', ns, undefined, undefined, undefined, undefined, `${CLUSTER_LABEL}=${x.metadata.name}`);
    // A list's items carry no apiVersion/kind (kube-apiserver leaves them out); delete needs them.
    for (const pvc of pvcs.items)
      await ctx.api
        .delete({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: pvc.metadata })
        .catch((err: Error & { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));
  }
  ctx.autoscaler.forget(`${ns}/${x.metadata.name}/`);
  await mergePatch(ctx, x as KubernetesObject, {
    metadata: { finalizers: x.metadata.finalizers.filter((f) => f !== FINALIZER), resourceVersion: x.metadata.resourceVersion },
  });
  ctx.log.info({ cluster: `${ns}/${x.metadata.name}` }, 'finalized');
  return {};
}
