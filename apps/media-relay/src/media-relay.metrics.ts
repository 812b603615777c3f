import { meter } from '#libs/telemetry';
import type { MediaContext } from './media-relay.context.js';

/**
 * glider_media_* instruments of the service itself; features register their own beside them. No
 * instance label: Prometheus's pod label says which process (docs/observability.md).
 */
export function registerMediaMetrics(ctx: MediaContext): () => void {
  const m = meter('glider-media');
  const stanzas = m.createObservableCounter('glider_media_stanzas_total', {
    description: 'Stanzas media-relay handled (IQs to its components and the server)',
  });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => r.observe(stanzas, ctx.stats.stanzas);
  m.addBatchObservableCallback(callback, [stanzas]);
  return () => m.removeBatchObservableCallback(callback, [stanzas]);
}
