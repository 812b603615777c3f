export * from './session-registry.js';
export { SESSION_REGISTRY } from './sessions.tokens.js';
export { createSessionRegistry, KvSessionRegistry, type SessionRegistryOptions } from './kv-session-registry.js';
export { splitFullJid, bareOf, isFullJid } from './session-jid.js';
export { closeSessionsOf } from './close-sessions.js';
export { ResumableStore, sessionFlags, type ResumableRecord, type QueueItem, type StoredItem } from './resumable/resumable-store.js';
export { endResumable, type EndResumableDeps } from './resumable/end-resumable.js';
export { holdForResumable, type HoldOutcome } from './resumable/hold-for-resumable.js';
