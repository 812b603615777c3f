import { meter } from '#libs/telemetry';
import type { MucRuntime } from './core/muc-runtime.js';

/** glider_muc_* instruments (docs/observability.md); no instance label: the pod label says which. */
export function registerMucMetrics(rt: MucRuntime): () => void {
  const m = meter('glider-muc');
  const stanzas = m.createObservableCounter('glider_muc_stanzas_total', { description: 'Stanzas the muc service handled' });
  const deliveries = m.createObservableCounter('glider_muc_deliveries_total', { description: 'Stanzas the muc service sent to occupants' });
  const rooms = m.createObservableGauge('glider_muc_rooms_cached', { description: 'Rooms of the partitions this replica owns, held in memory' });
  const callback = (r: { observe(o: unknown, v: number): void }): void => {
    r.observe(stanzas, rt.stats.stanzas);
    r.observe(deliveries, rt.stats.deliveries);
    r.observe(rooms, rt.rooms.cachedRooms());
  };
  m.addBatchObservableCallback(callback, [stanzas, deliveries, rooms]);
  return () => m.removeBatchObservableCallback(callback, [stanzas, deliveries, rooms]);
}
