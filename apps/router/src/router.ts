import type { AnyFeature } from '#libs/xmpp-kit';
import { EdgeSweeper } from './core/edge-sweeper.js';
import { LoadReporter } from './core/load-reporter.js';
import { RouterRuntime } from './core/router-runtime.js';
import { SmReaper } from './core/sm-reaper.js';
import { registerRouterMetrics } from './router.metrics.js';
import type { RouterContext, RouterDeps } from './router.context.js';
import { routerFeatures } from './router.features.js';

export interface Router {
  readonly runtime: RouterRuntime;
  stop(): Promise<void>;
}

/** Starts a router on the given bus, storage and registry (the Nest module and tests both use it). */
export async function startRouter(deps: RouterDeps, features: AnyFeature<RouterContext>[] = routerFeatures): Promise<Router> {
  const runtime = new RouterRuntime(deps);
  await runtime.start(features);
  const sweeper = new EdgeSweeper(runtime);
  await sweeper.start();
  const reaper = new SmReaper(runtime);
  reaper.start();
  const load = new LoadReporter(runtime, () => runtime.stats.routed);
  load.start();
  const unregisterMetrics = registerRouterMetrics(runtime, reaper);
  return {
    runtime,
    async stop() {
      unregisterMetrics();
      load.stop();
      sweeper.stop();
      reaper.stop();
      await runtime.stop();
    },
  };
}
