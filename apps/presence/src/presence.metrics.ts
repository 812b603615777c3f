import { meter } from '#libs/telemetry';
import type { PresenceContext } from './presence.context.js';

/** glider_presence_* instruments, read from the service's counters at collection time. No
 * instance label: Prometheus's pod label says which process. */
export function registerPresenceMetrics(ctx: PresenceContext): () => void {
  const m = meter('glider-presence');
  const stanzas = m.createObservableCounter('glider_presence_stanzas_total', { description: 'Presence stanzas and roster IQs handled' });
  const pushes = m.createObservableCounter('glider_presence_roster_pushes_total', { description: 'Roster pushes sent (RFC 6121 §2.1.6)' });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    r.observe(stanzas, ctx.stats.stanzas);
    r.observe(pushes, ctx.stats.rosterPushes);
  };
  m.addBatchObservableCallback(callback, [stanzas, pushes]);
  return () => m.removeBatchObservableCallback(callback, [stanzas, pushes]);
}
