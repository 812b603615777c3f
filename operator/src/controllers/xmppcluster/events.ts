import { randomBytes } from 'node:crypto';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import type { ControllerContext } from './context.js';
import { FIELD_MANAGER } from './names.js';

/**
 * A core/v1 Event on the XmppCluster (what `kubectl describe` lists) for things a person wants to
 * see happen: certificates issued, drains started, scaling. Best effort: a failure is only logged.
 */
export async function recordEvent(ctx: ControllerContext, x: XmppCluster, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  const now = ctx.now().toISOString();
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${x.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: x.metadata.namespace },
    involvedObject: {
      apiVersion: x.apiVersion,
      kind: x.kind,
      name: x.metadata.name,
      namespace: x.metadata.namespace,
      uid: x.metadata.uid,
      resourceVersion: x.metadata.resourceVersion,
    },
    type,
    reason,
    message: message.slice(0, 1024),
    source: { component: FIELD_MANAGER },
    reportingComponent: FIELD_MANAGER,
    reportingInstance: FIELD_MANAGER,
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  try {
    await ctx.api.create(event);
  } catch (err) {
    ctx.log.debug({ reason, err: (err as Error).message }, 'event not recorded');
  }
}
