import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { EdgeContext } from '../edge.context.js';

/** A stream feature of the edge: registers `EdgeHooks` handlers in its setup. */
export type EdgeFeature<Cfg = Record<string, never>> = FeatureDefinition<EdgeContext, Cfg>;
