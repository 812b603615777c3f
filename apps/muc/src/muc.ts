import type { AnyFeature } from '#libs/xmpp-kit';
import { MucRuntime } from './core/muc-runtime.js';
import type { MucContext, MucDeps } from './muc.context.js';
import { mucFeatures } from './muc.features.js';
import { registerMucMetrics } from './muc.metrics.js';

export interface Muc {
  /** Undefined while muc.enabled is false: nothing is declared or advertised. */
  readonly runtime: MucRuntime | undefined;
  stop(): Promise<void>;
}

/** Starts the muc service on the given bus and storage (Nest module and tests); idle unless muc.enabled. */
export async function startMuc(deps: MucDeps, features: AnyFeature<MucContext>[] = mucFeatures): Promise<Muc> {
  if (!deps.config.muc.enabled) {
    deps.logger.info('muc.enabled is false: the muc service serves nothing');
    return { runtime: undefined, stop: async () => {} };
  }
  const runtime = new MucRuntime(deps);
  await runtime.start(features);
  const unregister = registerMucMetrics(runtime);
  return {
    runtime,
    async stop() {
      unregister();
      await runtime.stop();
    },
  };
}
