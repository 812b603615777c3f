import { meter } from '#libs/telemetry';
import type { MediaContext } from './media-relay.context.js';

/** glider_media_* instruments of the service itself; features register their own beside them. */
export function registerMediaMetrics(ctx: MediaContext): () => void {
  const m = meter('glider-media');
  const attrs = { media: ctx.instanceId };
  const stanzas = m.createObservableCounter('glider_media_stanzas_total', {
    description: 'Stanzas media-relay handled (IQs to its components and the server)',
  });
  const callback = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => r.observe(stanzas, ctx.stats.stanzas, attrs);
  m.addBatchObservableCallback(callback, [stanzas]);
  return () => m.removeBatchObservableCallback(callback, [stanzas]);
}
