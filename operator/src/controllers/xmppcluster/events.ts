import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { EventRecorder } from '../../runtime/event-recorder.js';
import type { ControllerContext } from './context.js';
import { FIELD_MANAGER } from './names.js';

/** One recorder per controller context (per operator process): its memory is what aggregates. */
const recorders = new WeakMap<ControllerContext, EventRecorder>();

/**
 * A core/v1 Event on the XmppCluster (what `kubectl describe` lists) for things a person wants to
 * see happen: certificates issued, drains started, scaling. Repeats are counted on one Event, as
 * client-go's recorder does (runtime/event-recorder.ts). Best effort: a failure is only logged.
 */
export async function recordEvent(ctx: ControllerContext, x: XmppCluster, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
  let recorder = recorders.get(ctx);
  if (!recorder) {
    recorder = new EventRecorder(ctx.api, ctx.log, { component: FIELD_MANAGER, now: ctx.now });
    recorders.set(ctx, recorder);
  }
  await recorder.record(x, type, reason, message);
}
