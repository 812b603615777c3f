import { meter } from '#libs/telemetry';
import type { EdgeServer } from './edge.server.js';

/** glider_edge_* instruments, read from the server's counters at collection time (no hot-path cost). */
export function registerEdgeMetrics(server: EdgeServer): () => void {
  const m = meter('glider-edge');
  const attrs = { edge: server.edgeId };
  const connections = m.createObservableGauge('glider_edge_connections', { description: 'Open client connections' });
  const sessions = m.createObservableGauge('glider_edge_sessions', { description: 'Bound client sessions' });
  const stanzasIn = m.createObservableCounter('glider_edge_stanzas_in_total', { description: 'Stanzas from clients sent to the router' });
  const stanzasOut = m.createObservableCounter('glider_edge_stanzas_out_total', { description: 'Stanzas written to clients from the router' });
  const authFailures = m.createObservableCounter('glider_edge_auth_failures_total', { description: 'Failed SASL attempts' });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    r.observe(connections, server.streams.size, attrs);
    r.observe(sessions, server.ctx.sessions.size, attrs);
    r.observe(stanzasIn, server.ctx.stats.stanzasIn, attrs);
    r.observe(stanzasOut, server.ctx.stats.stanzasOut, attrs);
    r.observe(authFailures, server.ctx.stats.authFailures, attrs);
  };
  const observables = [connections, sessions, stanzasIn, stanzasOut, authFailures];
  m.addBatchObservableCallback(callback, observables);
  return () => m.removeBatchObservableCallback(callback, observables);
}
