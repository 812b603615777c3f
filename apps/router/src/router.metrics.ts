import { meter } from '#libs/telemetry';
import type { RouterContext } from './router.context.js';

/** glider_router_* instruments, read from the router's counters at collection time (no hot-path cost).
 * No instance label: Prometheus's pod label says which router. */
export function registerRouterMetrics(ctx: RouterContext, sm?: { readonly detached: number | undefined }): () => void {
  const m = meter('glider-router');
  const routed = m.createObservableCounter('glider_router_stanzas_routed_total', { description: 'Stanzas routed' });
  const bounced = m.createObservableCounter('glider_router_stanzas_bounced_total', { description: 'Stanzas answered with an error' });
  const stored = m.createObservableCounter('glider_router_offline_stored_total', { description: 'Messages stored offline (XEP-0160)' });
  const delivered = m.createObservableCounter('glider_router_offline_delivered_total', { description: 'Offline messages delivered at login' });
  const rerouted = m.createObservableCounter('glider_router_stanzas_rerouted_total', {
    description: 'Stanzas routed again because no edge acknowledged their delivery',
  });
  const detached = m.createObservableGauge('glider_sm_detached_sessions', {
    description: 'XEP-0198 sessions waiting for a resume (cluster-wide, as of the last reaper pass; read with max)',
  });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    r.observe(routed, ctx.stats.routed);
    r.observe(bounced, ctx.stats.bounced);
    r.observe(stored, ctx.stats.offlineStored);
    r.observe(delivered, ctx.stats.offlineDelivered);
    r.observe(rerouted, ctx.stats.rerouted);
    if (sm?.detached !== undefined) r.observe(detached, sm.detached);
  };
  const observables = [routed, bounced, stored, delivered, rerouted, detached];
  m.addBatchObservableCallback(callback, observables);
  return () => m.removeBatchObservableCallback(callback, observables);
}
