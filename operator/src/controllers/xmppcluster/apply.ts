import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../api/v1alpha1/crd.js';
import type { XmppClusterStatus } from '../../api/v1alpha1/xmpp-cluster.schema.js';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import type { ControllerContext } from './context.js';
import { FIELD_MANAGER } from './names.js';

/** Server-side apply of a desired object with the operator's field manager (force: it owns them); the object as stored. */
export async function apply(ctx: ControllerContext, obj: Record<string, unknown>): Promise<KubernetesObject> {
  return ctx.api.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/** The one status write of a pass: server-side apply on the status subresource. */
export async function applyStatus(ctx: ControllerContext, x: XmppCluster, status: XmppClusterStatus): Promise<void> {
  await ctx.custom.patchNamespacedCustomObjectStatus(
    {
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: x.metadata.namespace!,
      name: x.metadata.name,
      body: { apiVersion: x.apiVersion, kind: x.kind, metadata: { name: x.metadata.name, namespace: x.metadata.namespace }, status },
      fieldManager: FIELD_MANAGER,
      force: true,
    },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
}

/** A JSON merge patch guarded by resourceVersion (finalizers, pod annotations). */
export async function mergePatch(ctx: ControllerContext, obj: KubernetesObject, patch: Record<string, unknown>): Promise<void> {
  const body = {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    ...patch,
    metadata: { name: obj.metadata!.name, namespace: obj.metadata!.namespace, ...(patch['metadata'] as object) },
  };
  await ctx.api.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
}

export const decode = (data: Record<string, string> | undefined): Record<string, string> | undefined =>
  data ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : undefined;

export const encode = (data: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
