import type { AnyFeature } from '#libs/xmpp-kit';
import { PresenceRuntime } from './core/presence-runtime.js';
import type { PresenceContext, PresenceDeps } from './presence.context.js';
import { presenceFeatures } from './presence.features.js';
import { registerPresenceMetrics } from './presence.metrics.js';

export interface Presence {
  readonly runtime: PresenceRuntime;
  stop(): Promise<void>;
}

/** Starts the presence service on the given bus, storage and registry (Nest module and tests). */
export async function startPresence(deps: PresenceDeps, features: AnyFeature<PresenceContext>[] = presenceFeatures): Promise<Presence> {
  const runtime = new PresenceRuntime(deps);
  await runtime.start(features);
  const unregisterMetrics = registerPresenceMetrics(runtime);
  return {
    runtime,
    async stop() {
      unregisterMetrics();
      await runtime.stop();
    },
  };
}
