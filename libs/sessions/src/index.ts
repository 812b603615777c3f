export * from './session-registry.js';
export { SESSION_REGISTRY } from './sessions.tokens.js';
