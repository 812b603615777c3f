import type { Meter } from '@opentelemetry/api';
import { counterFamily, histogramFamily, meter as globalMeter, SLOW_BUCKETS_SECONDS, type BoundCounter, type BoundHistogram } from '#libs/telemetry';

/** One XmppCluster's certificates, as its status reports them (the operator wrote it). */
export interface CertificateReading {
  namespace: string;
  name: string;
  /** Server certificate notAfter, ms since the epoch. */
  notAfterMs?: number;
  /** The cluster CA's (tls.source=operator). */
  caNotAfterMs?: number;
}

/** What the operator's metrics report, read from the manager at collection time. */
export interface OperatorReadings {
  reconciles: { ok: number; error: number };
  queueDepth: number;
  leader: boolean;
  clusters: number;
  certificates: CertificateReading[];
}

/** The work queue's instruments (client-go's workqueue metrics), bound once for the process. */
export interface WorkQueueMetrics {
  adds: BoundCounter;
  retries: BoundCounter;
  /** From a key's add to a worker taking it. */
  queueDuration: BoundHistogram;
}

export const workQueueMetrics: WorkQueueMetrics = {
  adds: counterFamily('glider_operator_workqueue_adds_total', 'Keys added to the work queue (merged adds of a waiting key not counted)').bind(),
  retries: counterFamily('glider_operator_workqueue_retries_total', 'Keys requeued with back-off after a failed reconcile').bind(),
  queueDuration: histogramFamily(
    'glider_operator_workqueue_queue_duration_seconds',
    'How long a key waited in the work queue before a worker took it',
    'seconds',
    SLOW_BUCKETS_SECONDS,
  ).bind(),
};

const reconcileDuration = histogramFamily(
  'glider_operator_reconcile_duration_seconds',
  'Reconcile passes by result (ok, error)',
  'seconds',
  SLOW_BUCKETS_SECONDS,
);
export const reconcileTimers = { ok: reconcileDuration.bind({ result: 'ok' }), error: reconcileDuration.bind({ result: 'error' }) };

const apiErrors = counterFamily(
  'glider_operator_api_errors_total',
  'Kubernetes API calls that failed, by what the operator was doing (reconcile, watch, lease) and HTTP status (none: no answer)',
);
const apiErrorCounters = new Map<string, BoundCounter>(
  // bound up front, so the series exist (at 0) before the first error: a rate() over them is 0, not empty
  (['reconcile', 'watch', 'lease'] as const).map((operation) => [`${operation} none`, apiErrors.bind({ operation, code: 'none' })]),
);
/** `code`: the API server's HTTP status, when it answered; statuses and operations are few, so series stay bounded. */
export function countApiError(operation: 'reconcile' | 'watch' | 'lease', code: unknown): void {
  const status = typeof code === 'number' && code >= 100 && code < 600 ? String(code) : 'none';
  const key = `${operation} ${status}`;
  let c = apiErrorCounters.get(key);
  if (!c) apiErrorCounters.set(key, (c = apiErrors.bind({ operation, code: status })));
  c.add();
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
  const certExpiry = m.createObservableGauge('glider_operator_certificate_expiry_timestamp_seconds', {
    description: "When an XmppCluster's certificate expires (certificate: server or ca), seconds since the Unix epoch, from its status",
    unit: 'seconds',
  });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    const now = read();
    r.observe(reconciles, now.reconciles.ok, { result: 'ok' });
    r.observe(reconciles, now.reconciles.error, { result: 'error' });
    r.observe(queueDepth, now.queueDepth);
    r.observe(leader, now.leader ? 1 : 0);
    r.observe(clusters, now.clusters);
    for (const c of now.certificates) {
      const at = { xmppcluster_namespace: c.namespace, xmppcluster: c.name };
      if (c.notAfterMs !== undefined) r.observe(certExpiry, c.notAfterMs / 1000, { ...at, certificate: 'server' });
      if (c.caNotAfterMs !== undefined) r.observe(certExpiry, c.caNotAfterMs / 1000, { ...at, certificate: 'ca' });
    }
  };
  const observables = [reconciles, queueDepth, leader, clusters, certExpiry];
  m.addBatchObservableCallback(callback, observables);
  return () => m.removeBatchObservableCallback(callback, observables);
}
