import { meter } from '#libs/telemetry';
import type { TurnServer } from './turn-server.js';

/**
 * glider_turn_* instruments (OTLP and the Prometheus endpoint): live allocations, and counters
 * since start of allocations ended, bytes and datagrams relayed, and datagrams dropped (no
 * permission, refused peer, over a limit). Read from `server.stats()` at collection time.
 */
export function registerTurnMetrics(server: TurnServer, instanceId: string): () => void {
  const m = meter('glider-turn');
  const attrs = { media: instanceId };
  const allocations = m.createObservableGauge('glider_turn_allocations', { description: 'TURN allocations held now' });
  const ended = m.createObservableCounter('glider_turn_allocations_ended_total', {
    description: 'TURN allocations that ended (expired, deleted, connection closed)',
  });
  const bytes = m.createObservableCounter('glider_turn_relayed_bytes_total', { description: 'Bytes relayed between TURN clients and peers', unit: 'By' });
  const packets = m.createObservableCounter('glider_turn_relayed_packets_total', { description: 'Datagrams relayed between TURN clients and peers' });
  const dropped = m.createObservableCounter('glider_turn_dropped_packets_total', {
    description: 'Datagrams not relayed: no permission, refused peer, bandwidth or byte limit',
  });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    const s = server.stats();
    r.observe(allocations, s.allocations, attrs);
    r.observe(ended, s.allocationsEnded, attrs);
    r.observe(bytes, s.relayedBytes, attrs);
    r.observe(packets, s.relayedPackets, attrs);
    r.observe(dropped, s.droppedPackets, attrs);
  };
  const all = [allocations, ended, bytes, packets, dropped];
  m.addBatchObservableCallback(callback, all);
  return () => m.removeBatchObservableCallback(callback, all);
}
