import type { Meter } from '@opentelemetry/api';
import { meter as globalMeter } from '#libs/telemetry';

/** What the operator's metrics report, read from the manager at collection time. */
export interface OperatorReadings {
  reconciles: { ok: number; error: number };
  queueDepth: number;
  leader: boolean;
  clusters: number;
}

/**
 * glider_operator_* through OpenTelemetry, as the apps' glider_* (libs/telemetry): served on the
 * Prometheus endpoint and exported over OTLP when telemetry.otlpEndpoint is set. Observed at
 * collection time, so counting costs the reconcile loop nothing. Returns the unregistration.
 */
export function registerOperatorMetrics(read: () => OperatorReadings, m: Meter = globalMeter('glider-operator')): () => void {
  const reconciles = m.createObservableCounter('glider_operator_reconcile_total', { description: 'Reconcile passes by result (ok, error)' });
  const queueDepth = m.createObservableGauge('glider_operator_queue_depth', { description: 'XmppClusters waiting in the work queue' });
  const leader = m.createObservableGauge('glider_operator_leader', { description: '1 while this replica holds the leader Lease' });
  const clusters = m.createObservableGauge('glider_operator_xmppclusters', { description: 'XmppClusters watched' });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    const now = read();
    r.observe(reconciles, now.reconciles.ok, { result: 'ok' });
    r.observe(reconciles, now.reconciles.error, { result: 'error' });
    r.observe(queueDepth, now.queueDepth);
    r.observe(leader, now.leader ? 1 : 0);
    r.observe(clusters, now.clusters);
  };
  const observables = [reconciles, queueDepth, leader, clusters];
  m.addBatchObservableCallback(callback, observables);
  return () => m.removeBatchObservableCallback(callback, observables);
}
