export { Hooks, type HookHandler, type HookResult, type Registration, type HookLogger } from './hooks.js';
export { loadFeatures, FeatureConfigError, type FeatureDefinition, type AnyFeature, type LoadedFeatures } from './feature.js';
