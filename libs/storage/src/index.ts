export * from './ports/accounts.repository.js';
export * from './ports/rosters.repository.js';
export * from './ports/offline.repository.js';
export * from './ports/vcards.repository.js';
export * from './ports/private-xml.repository.js';
export * from './ports/last-activity.repository.js';
export * from './ports/errors.js';
export * from './ports/storage.js';
export { STORAGE } from './storage.tokens.js';
