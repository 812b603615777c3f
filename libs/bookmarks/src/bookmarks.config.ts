import { z } from 'zod';

/**
 * `features.bookmarksCompatPep.*`, read by presence (legacy PEP publishes → XEP-0402 items, and
 * back) and by the router (its private-XML writes reach the legacy PEP item too).
 */
export const bookmarksCompatPepConfigSchema = z.strictObject({
  /** XEP-0402 #compat-pep: the XEP-0048 PEP node `storage:bookmarks` and `urn:xmpp:bookmarks:1` are one list. */
  enabled: z.boolean().default(true),
});
export type BookmarksCompatPepConfig = z.infer<typeof bookmarksCompatPepConfigSchema>;
