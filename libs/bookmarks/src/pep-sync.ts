import { BOOKMARKS_NODE, LEGACY_BOOKMARKS_NS, fromItem, fromLegacy, toItemPayload, toLegacy, type Bookmark } from './bookmark.js';
import { planSync } from './sync-plan.js';
import type { PepService } from '#libs/pubsub';
import { StanzaError } from '#libs/stanza';
import type { Element } from '#libs/xml';

/** XEP-0048 1.2 §3 (via XEP-0223): the legacy list as one PEP item. */
export const LEGACY_BOOKMARKS_NODE = LEGACY_BOOKMARKS_NS;
export const LEGACY_ITEM_ID = 'current';
/** XEP-0223 §4 options for the legacy node when the server writes it. */
export const LEGACY_PUBLISH_OPTIONS = { 'pubsub#persist_items': 'true', 'pubsub#access_model': 'whitelist' };

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
 * (the user configured it) gets the items without them while it stays whitelist (XEP-0223
 * precondition-not-met otherwise); bookmarks never go to a node others can read (XEP-0411 §5).
 */
export async function syncToPep(pep: PepService, owner: string, current: readonly Bookmark[], wanted: readonly Bookmark[]): Promise<StanzaError | undefined> {
  const plan = planSync(current, wanted);
  for (const b of plan.publish) {
    const item = { id: b.jid, payload: toItemPayload(b) };
    const done = await publishPrivate(pep, owner, BOOKMARKS_NODE, item, BOOKMARKS_PUBLISH_OPTIONS);
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

/** The legacy PEP item's storage element, undefined when there is none. */
export async function legacyPepStorage(pep: PepService, owner: string): Promise<Element | undefined> {
  if (!(await pep.node(owner, LEGACY_BOOKMARKS_NODE))) return undefined;
  const items = await pep.items(owner, LEGACY_BOOKMARKS_NODE, { ids: [LEGACY_ITEM_ID] });
  if (items instanceof StanzaError) return undefined;
  const payload = items[0]?.payload;
  return payload?.is('storage', LEGACY_BOOKMARKS_NS) ? payload : undefined;
}

/**
 * XEP-0402 §5.3 "#compat-pep": the XEP-0048 PEP item (`storage:bookmarks`, id `current`) is
 * rewritten from the XEP-0402 items, keeping its non-room children (URL bookmarks). Nothing is
 * published when it already lists exactly those rooms.
 */
export async function mirrorToLegacyPep(pep: PepService, owner: string): Promise<StanzaError | undefined> {
  const marks = (await pepBookmarks(pep, owner)) ?? [];
  const base = await legacyPepStorage(pep, owner);
  const plan = base ? planSync(fromLegacy(base), marks) : undefined;
  if (plan && plan.publish.length === 0 && plan.retract.length === 0) return undefined;
  const item = { id: LEGACY_ITEM_ID, payload: toLegacy(marks, base) };
  const done = await publishPrivate(pep, owner, LEGACY_BOOKMARKS_NODE, item, LEGACY_PUBLISH_OPTIONS);
  return done instanceof StanzaError ? done : undefined;
}

/**
 * Publishes with `options`; when the node exists with another configuration (XEP-0223
 * precondition-not-met), publishes with the node's own one, but only while its access model is
 * whitelist: a user's bookmarks are never copied where others may read them (XEP-0411 §5).
 */
async function publishPrivate(
  pep: PepService,
  owner: string,
  node: string,
  item: { id: string; payload: Element },
  options: Record<string, string>,
): Promise<{ id: string } | StanzaError> {
  const done = await pep.publish(owner, node, item, { publishOptions: options });
  if (!(done instanceof StanzaError) || done.condition !== 'conflict') return done;
  if ((await pep.node(owner, node))?.accessModel !== 'whitelist')
    return new StanzaError('conflict', { text: `the ${node} node is readable by others: bookmarks not copied there` });
  return pep.publish(owner, node, item);
}
