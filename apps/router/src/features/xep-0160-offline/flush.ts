import { envelopeOf } from '#libs/bus';
import type { SessionInfo } from '#libs/sessions';
import type { RouterContext } from '../../router.context.js';
import type { OfflineConfig } from './index.js';

/**
 * Delivers the owner's stored messages to a session that came online, oldest first, and removes
 * each batch once it is handed to the edge. A session that vanishes meanwhile makes the edge send
 * the messages back to the router, which stores them again.
 */
export async function flushOffline(ctx: RouterContext, session: SessionInfo, cfg: OfflineConfig): Promise<void> {
  const owner = session.jid.slice(0, session.jid.indexOf('/'));
  for (;;) {
    const batch = await ctx.storage.offline.list(owner, cfg.flushBatch);
    if (batch.length === 0) return;
    const handed: Promise<void>[] = [];
    for (const m of batch) {
      let el;
      try {
        el = ctx.parseXml(m.xml);
      } catch (err) {
        ctx.logger.error({ err, owner, seq: m.seq }, 'unreadable offline message removed');
        continue;
      }
      handed.push(Promise.resolve(ctx.delivery.toSession(envelopeOf(el), session))); // published in order, awaited together
      ctx.stats.offlineDelivered++;
    }
    await Promise.all(handed);
    await ctx.bus.flush();
    await ctx.storage.offline.remove(
      owner,
      batch.map((m) => m.seq),
    );
    if (batch.length < cfg.flushBatch) return;
  }
}
