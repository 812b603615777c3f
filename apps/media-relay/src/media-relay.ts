import type { AnyFeature } from '#libs/xmpp-kit';
import { MediaRuntime } from './core/media-runtime.js';
import type { MediaContext, MediaDeps } from './media-relay.context.js';
import { mediaFeatures } from './media-relay.features.js';
import { registerMediaMetrics } from './media-relay.metrics.js';

export interface MediaRelay {
  /** Undefined while media.enabled is false: nothing is declared, listened on or advertised. */
  readonly runtime: MediaRuntime | undefined;
  stop(): Promise<void>;
}

/** Starts media-relay on the given bus and storage (Nest module and tests); idle unless media.enabled. */
export async function startMediaRelay(deps: MediaDeps, features: AnyFeature<MediaContext>[] = mediaFeatures): Promise<MediaRelay> {
  if (!deps.config.media.enabled) {
    deps.logger.info('media.enabled is false: media-relay serves nothing');
    return { runtime: undefined, stop: async () => {} };
  }
  const runtime = new MediaRuntime(deps);
  await runtime.start(features);
  const unregisterMetrics = registerMediaMetrics(runtime);
  return {
    runtime,
    async stop() {
      unregisterMetrics();
      await runtime.stop();
    },
  };
}
