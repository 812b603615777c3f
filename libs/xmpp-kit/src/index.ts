export { Hooks, type HookHandler, type HookEntry, type HandlerFor, type SyncHookArg, type HookResult, type Registration, type HookLogger } from './hooks.js';
export { loadFeatures, FeatureConfigError, type FeatureDefinition, type LoadedFeatures } from './feature.js';
