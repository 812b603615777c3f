import { meter } from '#libs/telemetry';
import type { Socks5Proxy } from './socks5-proxy.js';

/**
 * glider_media_socks5_* instruments, read from the proxy at collection time. No instance label:
 * Prometheus's `pod` says which replica (docs/observability.md).
 */
export function registerSocks5Metrics(proxy: Socks5Proxy): () => void {
  const m = meter('glider-media');
  const streams = m.createObservableGauge('glider_media_socks5_streams', { description: 'SOCKS5 streams this replica holds (pending or relaying)' });
  const relaying = m.createObservableGauge('glider_media_socks5_relaying', { description: 'SOCKS5 streams activated and relaying (XEP-0065 §6.3.5)' });
  const forwarded = m.createObservableGauge('glider_media_socks5_forwarded', {
    description: 'Connections this replica forwards to the replica holding their stream',
  });
  const bytes = m.createObservableCounter('glider_media_socks5_relayed_bytes_total', {
    description: 'Bytes relayed by ended SOCKS5 streams, both directions',
    unit: 'By',
  });
  const ended = m.createObservableCounter('glider_media_socks5_streams_ended_total', {
    description: 'SOCKS5 streams ended, by why (closed, idle, bytes-limit, error, activation-timeout, abandoned)',
  });
  const refused = m.createObservableCounter('glider_media_socks5_refused_total', {
    description: 'SOCKS5 CONNECTs refused (limits, a third connection, holder unreachable)',
  });
  const all = [streams, relaying, forwarded, bytes, ended, refused];
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    const s = proxy.stats();
    r.observe(streams, s.streams);
    r.observe(relaying, s.relaying);
    r.observe(forwarded, s.forwarded);
    r.observe(bytes, proxy.totals.bytes);
    r.observe(refused, proxy.totals.refused);
    for (const [why, n] of proxy.totals.ended) r.observe(ended, n, { why });
  };
  m.addBatchObservableCallback(callback, all);
  return () => m.removeBatchObservableCallback(callback, all);
}
