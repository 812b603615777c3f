import { X509Certificate } from 'node:crypto';
import { HT_MECHANISMS, type HtMechanismName, type SaslMechanismName } from '#libs/auth';
import type { StanzaKind } from '#libs/bus';
import { counterFamily, histogramFamily, meter, SLOW_BUCKETS_SECONDS, type BoundCounter, type BoundHistogram } from '#libs/telemetry';
import type { EdgeServer } from './edge.server.js';

/*
 * glider_edge_* (docs/observability.md). Labels carry no process identity (Prometheus adds the pod);
 * every label set is bound here once, so counting a stanza is an increment.
 */

const KINDS = ['message', 'presence', 'iq'] as const;
type Kind = (typeof KINDS)[number];

const stanzas = counterFamily(
  'glider_edge_stanzas_total',
  'Stanzas by kind (message, presence, iq) and direction (in: from clients, out: delivered to clients)',
);
const bindKinds = (direction: string): Record<string, BoundCounter> => Object.fromEntries(KINDS.map((kind) => [kind, stanzas.bind({ kind, direction })]));
/** By element name: `stanzasIn[el.name]?.add()`. */
export const stanzasIn: Readonly<Record<string, BoundCounter>> = bindKinds('in');
/** Stanzas the edge itself sends a client (its error replies, features' answers), by element name. */
export const stanzasOutByName: Readonly<Record<string, BoundCounter>> = bindKinds('out');
const outByName = stanzasOutByName;
/** By the envelope's kind (a delivery is not parsed). */
export const stanzasOut: Readonly<Partial<Record<StanzaKind, BoundCounter>>> = {
  MESSAGE: outByName.message!,
  PRESENCE: outByName.presence!,
  IQ: outByName.iq!,
};

const routing = histogramFamily(
  'glider_edge_routing_duration_seconds',
  "From a client's stanza accepted by the edge to the router's acknowledgement (delivered, stored offline, handed to a service, or bounced), by kind",
  'seconds',
);
export const routingDuration: Readonly<Record<string, BoundHistogram>> = Object.fromEntries(KINDS.map((kind) => [kind, routing.bind({ kind })]));

const MECHANISMS: readonly (SaslMechanismName | HtMechanismName)[] = [
  'PLAIN',
  'SCRAM-SHA-1',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-256',
  'SCRAM-SHA-256-PLUS',
  // XEP-0484 FAST token logins (SASL2)
  ...HT_MECHANISMS,
];
const logins = counterFamily('glider_edge_logins_total', 'SASL authentication attempts by mechanism and result (success, failure)');
const loginDuration = histogramFamily(
  'glider_edge_login_duration_seconds',
  'From <auth/> to <success/> or <failure/>, failed-login back-off included, by mechanism and result',
  'seconds',
  SLOW_BUCKETS_SECONDS,
);
interface LoginInstruments {
  success: BoundCounter;
  failure: BoundCounter;
  successDuration: BoundHistogram;
  failureDuration: BoundHistogram;
}
const bindLogin = (mechanism: string): LoginInstruments => ({
  success: logins.bind({ mechanism, result: 'success' }),
  failure: logins.bind({ mechanism, result: 'failure' }),
  successDuration: loginDuration.bind({ mechanism, result: 'success' }),
  failureDuration: loginDuration.bind({ mechanism, result: 'failure' }),
});
const loginByMechanism = new Map<string, LoginInstruments>(MECHANISMS.map((m) => [m, bindLogin(m)]));
/** A mechanism name no server offers (a client's invention) is counted as `other`: labels stay bounded. */
const otherLogin = bindLogin('other');

/** One finished SASL attempt; `startedMs` is the performance.now() of its <auth/>, when known. */
export function countLogin(mechanism: string | undefined, ok: boolean, startedMs: number | undefined): void {
  const m = (mechanism !== undefined && loginByMechanism.get(mechanism)) || otherLogin;
  (ok ? m.success : m.failure).add();
  if (startedMs !== undefined) (ok ? m.successDuration : m.failureDuration).since(startedMs);
}

const streamErrors = counterFamily('glider_edge_stream_errors_total', 'Stream errors sent to clients, by condition (RFC 6120 §4.9.3)');
const streamErrorByCondition = new Map<string, BoundCounter>();
/** Conditions are the RFC's fixed list (StreamErrorCondition), so the series stay bounded. */
export function countStreamError(condition: string): void {
  let c = streamErrorByCondition.get(condition);
  if (!c) streamErrorByCondition.set(condition, (c = streamErrors.bind({ condition })));
  c.add();
}

const tls = counterFamily('glider_edge_tls_handshakes_total', 'TLS handshakes by mode (starttls, direct, websocket) and result (ok, failed)');
export const tlsHandshakes = {
  starttls: { ok: tls.bind({ mode: 'starttls', result: 'ok' }), failed: tls.bind({ mode: 'starttls', result: 'failed' }) },
  direct: { ok: tls.bind({ mode: 'direct', result: 'ok' }), failed: tls.bind({ mode: 'direct', result: 'failed' }) },
  websocket: { ok: tls.bind({ mode: 'websocket', result: 'ok' }), failed: tls.bind({ mode: 'websocket', result: 'failed' }) },
};

export type { Kind as EdgeStanzaKind };

const expiry = new WeakMap<object, number>();
function notAfterSeconds(cert: { cert: string }): number {
  let s = expiry.get(cert);
  if (s === undefined) expiry.set(cert, (s = Date.parse(new X509Certificate(cert.cert).validTo) / 1000));
  return s;
}

/** Gauges read from the server at collection time (no hot-path cost). Returns the unregistration. */
export function registerEdgeMetrics(server: EdgeServer): () => void {
  const m = meter('glider-edge');
  const connections = m.createObservableGauge('glider_edge_connections', { description: 'Open client connections' });
  const sessions = m.createObservableGauge('glider_edge_sessions', { description: 'Bound client sessions' });
  const stanzasInTotal = m.createObservableCounter('glider_edge_stanzas_in_total', { description: 'Stanzas from clients sent to the router' });
  const stanzasOutTotal = m.createObservableCounter('glider_edge_stanzas_out_total', { description: 'Stanzas written to clients from the router' });
  const authFailures = m.createObservableCounter('glider_edge_auth_failures_total', { description: 'Failed SASL attempts' });
  const outQueueBytes = m.createObservableGauge('glider_edge_out_queue_bytes', {
    description: 'Bytes waiting for clients to read them (out queues, summed over connections)',
    unit: 'bytes',
  });
  const outQueueStanzas = m.createObservableGauge('glider_edge_out_queue_stanzas', {
    description: 'Stanzas waiting for clients to read them (out queues, summed over connections)',
  });
  const certExpiry = m.createObservableGauge('glider_edge_tls_certificate_expiry_timestamp_seconds', {
    description: "When the edge's TLS certificate expires (notAfter), seconds since the Unix epoch",
    unit: 'seconds',
  });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    r.observe(connections, server.streams.size);
    r.observe(sessions, server.ctx.sessions.size);
    r.observe(stanzasInTotal, server.ctx.stats.stanzasIn);
    r.observe(stanzasOutTotal, server.ctx.stats.stanzasOut);
    r.observe(authFailures, server.ctx.stats.authFailures);
    let bytes = 0;
    let queued = 0;
    for (const s of server.streams) {
      const w = s.waitingOut;
      bytes += w.bytes;
      queued += w.stanzas;
    }
    r.observe(outQueueBytes, bytes);
    r.observe(outQueueStanzas, queued);
    const cert = server.certificate;
    if (cert) r.observe(certExpiry, notAfterSeconds(cert));
  };
  const observables = [connections, sessions, stanzasInTotal, stanzasOutTotal, authFailures, outQueueBytes, outQueueStanzas, certExpiry];
  m.addBatchObservableCallback(callback, observables);
  return () => m.removeBatchObservableCallback(callback, observables);
}
