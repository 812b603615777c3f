import { encodeFrame, partitionOf, subjects, type SessionEvent } from '#libs/bus';
import type { EdgeContext } from '../../edge.context.js';

/** ENDED to the presence service of the user's partition (docs/architecture.md, Sessions). */
export function publishSessionEvent(ctx: EdgeContext, bare: string, event: SessionEvent): void {
  const subject = subjects.presenceIn(partitionOf(bare, ctx.config.bus.partitions));
  ctx.bus.request(subject, encodeFrame({ session: event }), { timeoutMs: ctx.config.edge.routeTimeoutMs }).catch((err: unknown) => {
    ctx.logger.warn({ err: (err as Error).message, jid: event.jid, kind: event.kind }, 'presence did not take a session event');
  });
}
