export { blockingConfigSchema, type BlockingConfig } from './blocking.config.js';
export { BlocklistMatcher } from './blocklist-matcher.js';
export { announceBlocklistChanged, BlocklistCache, type BlocklistCacheOptions } from './blocklist-cache.js';
