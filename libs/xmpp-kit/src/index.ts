export { Hooks, type HookHandler, type HookEntry, type HandlerFor, type SyncHookArg, type HookResult, type Registration, type HookLogger } from './hooks.js';
export { loadFeatures, FeatureConfigError, type FeatureDefinition, type AnyFeature, type LoadedFeatures } from './feature.js';
export {
  IqDispatcher,
  resultThen,
  type IqAnswer,
  type IqResultThen,
  type IqScope,
  type IqWhere,
  type IqHandler,
  type IqClaims,
  type IqDispatchLogger,
} from './iq-dispatcher.js';
