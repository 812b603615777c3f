import type { ZodType } from 'zod';
import type { Registration } from './hooks.js';

/**
 * One XEP or RFC section an app handles: a folder exporting one of these. Adding a feature touches
 * no core file but the app's ordered feature list.
 */
export interface FeatureDefinition<Ctx, Cfg = Record<string, never>> {
  /** Short, unique within the app: the key of its options in config (`features.<name>`). */
  name: string;
  /** What it implements, e.g. { xep: 199, version: '2.0.1' } or { rfc: 6121, section: '2.1' }. */
  spec: { xep?: number; rfc?: number; section?: string; version?: string };
  /** Disco#info features it adds (XEP-0030). */
  discoFeatures?: string[];
  /** Its options with defaults; validated at boot. */
  config?: ZodType<Cfg>;
  /** Names of features that must be set up first. */
  dependsOn?: string[];
  /**
   * Registers handlers; returns what it registered so that stopping undoes it. A feature that
   * returns no registration (off) does not add its `discoFeatures`.
   */
  setup(ctx: Ctx, config: Cfg): Registration[] | Promise<Registration[]>;
}

/**
 * A feature whatever its option type: an app's ordered feature list mixes features with different
 * options, and `loadFeatures` validates each one's options against its own `config` schema.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- existential option type (see above)
export type AnyFeature<Ctx> = FeatureDefinition<Ctx, any>;

export class FeatureConfigError extends Error {
  override readonly name = 'FeatureConfigError';
}

export interface LoadedFeatures {
  names: string[];
  discoFeatures: string[];
  stop(): void;
}

/**
 * Sets features up in list order, checking dependencies and options. A bad option fails boot with
 * the key named (`features.ping.interval: ...`).
 */
export async function loadFeatures<Ctx>(ctx: Ctx, features: AnyFeature<Ctx>[], options: Record<string, unknown> = {}): Promise<LoadedFeatures> {
  const loaded: string[] = [];
  const registrations: Registration[] = [];
  const disco = new Set<string>();
  for (const feature of features) {
    for (const dep of feature.dependsOn ?? []) {
      if (!loaded.includes(dep)) throw new FeatureConfigError(`feature ${feature.name} needs ${dep} before it in the feature list`);
    }
    let cfg: unknown = {};
    if (feature.config) {
      const parsed = feature.config.safeParse(options[feature.name] ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new FeatureConfigError(`features.${feature.name}.${issue.path.join('.')}: ${issue.message}`);
      }
      cfg = parsed.data;
    }
    const registered = await feature.setup(ctx, cfg);
    registrations.push(...registered);
    loaded.push(feature.name);
    // A feature that registered nothing (off by config, or what it serves is not running) serves
    // nothing, so it advertises nothing: disco must never promise what is not there.
    if (registered.length > 0) for (const f of feature.discoFeatures ?? []) disco.add(f);
  }
  return {
    names: loaded,
    discoFeatures: [...disco].sort(),
    stop: () => {
      for (const undo of registrations.reverse()) undo();
    },
  };
}
