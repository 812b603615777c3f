import { envelopeOf } from '#libs/bus';
import type { SessionInfo } from '#libs/sessions';
import type { RouterContext } from '../../router.context.js';
import type { OfflineConfig } from './index.js';

/**
 * Delivers the owner's stored messages to a session that came online, oldest first, a batch at a
 * time, and removes a message only once the edge acknowledged its delivery (docs/reliability.md).
 * What the session did not take — it vanished, its edge died or stalled — stays stored for its next
 * login, and the flush stops there.
 */
export async function flushOffline(ctx: RouterContext, session: SessionInfo, cfg: OfflineConfig): Promise<void> {
  const owner = session.jid.slice(0, session.jid.indexOf('/'));
  for (;;) {
    const batch = await ctx.storage.offline.list(owner, cfg.flushBatch);
    if (batch.length === 0) return;
    const done: number[] = [];
    // Sent together, in order (one subject, one publisher); acknowledged in any order.
    const pending = batch.map((m) => {
      let el;
      try {
        el = ctx.parseXml(m.xml);
      } catch (err) {
        ctx.logger.error({ err, owner, seq: m.seq }, 'unreadable offline message removed');
        done.push(m.seq);
        return undefined;
      }
      return ctx.delivery.toSession(envelopeOf(el), session).then((outcome) => ({ seq: m.seq, outcome }));
    });
    let failed = 0;
    for (const r of await Promise.all(pending)) {
      if (!r) continue;
      if (r.outcome.ok) {
        done.push(r.seq);
        ctx.stats.offlineDelivered++;
      } else failed++;
    }
    if (done.length > 0) await ctx.storage.offline.remove(owner, done);
    if (failed > 0) {
      ctx.logger.info({ owner, delivered: done.length, kept: failed }, 'offline flush interrupted: the session did not take every message; the rest stay stored');
      return;
    }
    if (batch.length < cfg.flushBatch) return;
  }
}
