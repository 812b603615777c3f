import { sameBookmark, type Bookmark } from './bookmark.js';

/** What turns the current XEP-0402 items into `wanted`: publish new or changed ones, retract the rest. */
export interface SyncPlan {
  publish: Bookmark[];
  retract: string[];
}

/**
 * XEP-0402 §5.3 "publishing via the old specification": a legacy client replaces the whole list; the
 * server updates the items one by one, and sends nothing for an unchanged item.
 */
export function planSync(current: readonly Bookmark[], wanted: readonly Bookmark[]): SyncPlan {
  const now = new Map(current.map((b) => [b.jid, b]));
  const want = new Set(wanted.map((b) => b.jid));
  return {
    publish: wanted.filter((b) => {
      const old = now.get(b.jid);
      return !old || !sameBookmark(old, b);
    }),
    retract: current.filter((b) => !want.has(b.jid)).map((b) => b.jid),
  };
}
