export { BOOKMARKS_NODE, LEGACY_BOOKMARKS_NS, fromItem, fromLegacy, sameBookmark, toItemPayload, toLegacy, type Bookmark } from './bookmark.js';
export { planSync, type SyncPlan } from './sync-plan.js';
