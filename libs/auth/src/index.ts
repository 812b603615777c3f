export type { SaslFailureCondition, ChannelBindingType, ChannelBinding, SaslStep, SaslMechanism, SaslContext, SaslMechanismName } from './sasl.types.js';
export { createMechanism } from './create-mechanism.js';
export { makeScramCredentials, DEFAULT_SCRAM_ITERATIONS } from './scram-credentials.js';
export { saslPrep, normalizeUsername, normalizeBareJid } from './username.js';
export { MAX_PASSWORD_BYTES, passwordProblem } from './password-policy.js';
export type { PasswordBackend, PasswordVerdict } from './password-backend.js';
export { HtMechanism, HT_MECHANISMS, HT_BINDING, newToken, tokenKey, type HtMechanismName, type HtContext, type HtCandidate } from './ht.mechanism.js';
