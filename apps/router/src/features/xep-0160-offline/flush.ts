import { envelopeOf, type DeliveryOutcome } from '#libs/bus';
import type { SessionInfo } from '#libs/sessions';
import type { RouterContext } from '../../router.context.js';
import type { OfflineConfig } from './index.js';

/**
 * Delivers the owner's stored messages to a session that came online, oldest first, a batch at a
 * time, and removes a message only once the edge acknowledged that it was written to the connection
 * (docs/reliability.md), with at most half of edge.limits.maxWriteBufferBytes unacknowledged at a
 * time: the flush goes at the client's reading pace, and a login with more stored than the write
 * buffer is not cut by its own flush. What the session did
 * not take — it vanished, its edge died or stalled, it read too slowly — stays stored for its next
 * login, and the flush stops there.
 */
export async function flushOffline(ctx: RouterContext, session: SessionInfo, cfg: OfflineConfig): Promise<void> {
  const owner = session.jid.slice(0, session.jid.indexOf('/'));
  // At most half the edge's write buffer unacknowledged: the client is never cut by its own flush.
  const window = Math.max(1, Math.floor(ctx.config.edge.limits.maxWriteBufferBytes / 2));
  const opts = { whenWritten: true, timeoutMs: cfg.flushAckTimeoutMs };
  for (;;) {
    const batch = await ctx.storage.offline.list(owner, cfg.flushBatch);
    if (batch.length === 0) return;
    const done: number[] = [];
    const inFlight: { seq: number; size: number; outcome: Promise<DeliveryOutcome> }[] = [];
    let inFlightBytes = 0;
    let failed = 0;
    // Oldest first: the edge writes them in the order sent (one subject, one publisher).
    const settleOldest = async (): Promise<void> => {
      const d = inFlight.shift()!;
      inFlightBytes -= d.size;
      if ((await d.outcome).ok) {
        done.push(d.seq);
        ctx.stats.offlineDelivered++;
      } else failed++;
    };
    for (const m of batch) {
      let el;
      try {
        el = ctx.parseXml(m.xml);
      } catch (err) {
        ctx.logger.error({ err, owner, seq: m.seq }, 'unreadable offline message removed');
        done.push(m.seq);
        continue;
      }
      const env = envelopeOf(el);
      while (inFlight.length > 0 && inFlightBytes + env.xml.byteLength > window && failed === 0) await settleOldest();
      if (failed > 0) break;
      inFlight.push({ seq: m.seq, size: env.xml.byteLength, outcome: ctx.delivery.toSession(env, session, opts) });
      inFlightBytes += env.xml.byteLength;
    }
    while (inFlight.length > 0) await settleOldest();
    if (done.length > 0) await ctx.storage.offline.remove(owner, done);
    if (failed > 0) {
      ctx.logger.info(
        { owner, delivered: done.length, kept: failed },
        'offline flush interrupted: the session did not take every message; the rest stay stored',
      );
      return;
    }
    if (batch.length < cfg.flushBatch) return;
  }
}

/** Runs one owner's flushes one after another, outside the partition's turn; logs a failure. */
export class FlushQueue {
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly ctx: RouterContext) {}

  run(session: SessionInfo, flush: () => Promise<void>): void {
    const owner = session.jid.slice(0, session.jid.indexOf('/'));
    const next = (this.running.get(owner) ?? Promise.resolve())
      .then(flush)
      .catch((err: unknown) => this.ctx.logger.error({ err, owner }, 'offline flush failed; the messages stay stored'));
    this.running.set(owner, next);
    void next.finally(() => {
      if (this.running.get(owner) === next) this.running.delete(owner);
    });
  }
}
