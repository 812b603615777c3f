import { meter } from '#libs/telemetry';
import type { TurnServer } from './turn-server.js';

/**
 * glider_turn_* instruments (OTLP and the Prometheus endpoint): live allocations, and counters
 * since start of allocations ended, bytes and datagrams relayed, and datagrams dropped (no
 * permission, refused peer, over a limit). Read from `server.stats()` at collection time.
 */
export function registerTurnMetrics(server: TurnServer): () => void {
  const m = meter('glider-turn');
  const allocations = m.createObservableGauge('glider_turn_allocations', { description: 'TURN allocations held now' });
  const ended = m.createObservableCounter('glider_turn_allocations_ended_total', {
    description: 'TURN allocations that ended (expired, deleted, connection closed)',
  });
  const bytes = m.createObservableCounter('glider_turn_relayed_bytes_total', { description: 'Bytes relayed between TURN clients and peers', unit: 'By' });
  const packets = m.createObservableCounter('glider_turn_relayed_packets_total', { description: 'Datagrams relayed between TURN clients and peers' });
  const dropped = m.createObservableCounter('glider_turn_dropped_packets_total', {
    description: 'Datagrams not relayed: no permission, refused peer, bandwidth or byte limit',
  });
  // no instance label: Prometheus's `pod` says which process (docs/observability.md)
  const callback = (r: { observe(o: unknown, v: number): void }): void => {
    const s = server.stats();
    r.observe(allocations, s.allocations);
    r.observe(ended, s.allocationsEnded);
    r.observe(bytes, s.relayedBytes);
    r.observe(packets, s.relayedPackets);
    r.observe(dropped, s.droppedPackets);
  };
  const all = [allocations, ended, bytes, packets, dropped];
  m.addBatchObservableCallback(callback, all);
  return () => m.removeBatchObservableCallback(callback, all);
}
