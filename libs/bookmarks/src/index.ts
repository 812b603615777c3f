export { BOOKMARKS_NODE, LEGACY_BOOKMARKS_NS, fromItem, fromLegacy, sameBookmark, toItemPayload, toLegacy, type Bookmark } from './bookmark.js';
export { planSync, type SyncPlan } from './sync-plan.js';
export {
  BOOKMARKS_PUBLISH_OPTIONS,
  LEGACY_BOOKMARKS_NODE,
  LEGACY_ITEM_ID,
  LEGACY_PUBLISH_OPTIONS,
  legacyPepStorage,
  legacySet,
  legacyView,
  mirrorToLegacyPep,
  pepBookmarks,
  syncToPep,
} from './pep-sync.js';
export { bookmarksCompatPepConfigSchema, type BookmarksCompatPepConfig } from './bookmarks.config.js';
