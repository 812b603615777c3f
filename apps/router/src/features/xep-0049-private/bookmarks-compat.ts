import { BOOKMARKS_NODE, fromItem, fromLegacy, planSync, toItemPayload, toLegacy, type Bookmark } from '#libs/bookmarks';
import type { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import type { Element } from '#libs/xml';

/**
 * XEP-0402 1.1.4 §3 "publish-options" a client is told to use for the bookmarks node: the server
 * uses the same when it publishes for a legacy client, so either may create the node.
 */
export const BOOKMARKS_PUBLISH_OPTIONS = {
  'pubsub#persist_items': 'true',
  'pubsub#max_items': 'max',
  'pubsub#send_last_published_item': 'never',
  'pubsub#access_model': 'whitelist',
};

/** The XEP-0402 bookmarks of `owner`, undefined when the node does not exist yet. */
export async function pepBookmarks(pep: PepService, owner: string): Promise<Bookmark[] | undefined> {
  if (!(await pep.node(owner, BOOKMARKS_NODE))) return undefined;
  const items = await pep.items(owner, BOOKMARKS_NODE);
  if (items instanceof StanzaError) return [];
  return items.flatMap((i) => (i.payload ? (fromItem(i.id, i.payload) ?? []) : [])).reverse(); // oldest first, as a list reads
}

/**
 * Publishes and retracts so that the XEP-0402 node holds `wanted` (XEP-0402 §5.3: one item per
 * room, nothing sent for an unchanged one). A node whose configuration differs from the options
 * (the user configured it) gets the items without them (XEP-0223 precondition-not-met otherwise).
 */
export async function syncToPep(pep: PepService, owner: string, current: readonly Bookmark[], wanted: readonly Bookmark[]): Promise<StanzaError | undefined> {
  const plan = planSync(current, wanted);
  for (const b of plan.publish) {
    const item = { id: b.jid, payload: toItemPayload(b) };
    let done = await pep.publish(owner, BOOKMARKS_NODE, item, { publishOptions: BOOKMARKS_PUBLISH_OPTIONS });
    if (done instanceof StanzaError && done.condition === 'conflict') done = await pep.publish(owner, BOOKMARKS_NODE, item);
    if (done instanceof StanzaError) return done;
  }
  for (const id of plan.retract) {
    const gone = await pep.retract(owner, BOOKMARKS_NODE, id, { notify: true });
    if (gone instanceof StanzaError && gone.condition !== 'item-not-found') return gone;
  }
  return undefined;
}

/**
 * XEP-0402 §5.3 read side for a legacy client (XEP-0049 get of storage:bookmarks): the rooms are
 * the XEP-0402 items, the rest of the stored element (URL bookmarks) as it was stored. Before any
 * XEP-0402 node exists, the stored list is the user's: it is moved to PEP first (once), so both
 * kinds of client see the same rooms from then on.
 */
export async function legacyView(pep: PepService, owner: string, stored: Element | undefined): Promise<Element | StanzaError> {
  const marks = await pepBookmarks(pep, owner);
  if (marks === undefined) {
    const legacy = stored ? fromLegacy(stored) : [];
    if (legacy.length > 0) {
      const failed = await syncToPep(pep, owner, [], legacy);
      if (failed) return failed;
    }
    return toLegacy(legacy, stored);
  }
  return toLegacy(marks, stored);
}

/** XEP-0402 §5.3 write side: a legacy client's whole list becomes per-item publishes and retractions. */
export async function legacySet(pep: PepService, owner: string, storage: Element): Promise<StanzaError | undefined> {
  return syncToPep(pep, owner, (await pepBookmarks(pep, owner)) ?? [], fromLegacy(storage));
}
