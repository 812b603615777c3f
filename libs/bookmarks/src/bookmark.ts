import { xml, type Element } from '#libs/xml';

/** XEP-0048 1.2 bookmark storage (private XML, XEP-0049; or the PEP node of the same name). */
export const LEGACY_BOOKMARKS_NS = 'storage:bookmarks';
/** XEP-0402 1.1.4 PEP native bookmarks: one item per room, id = the room's JID. */
export const BOOKMARKS_NODE = 'urn:xmpp:bookmarks:1';

/** One room bookmark, whichever format it came in. */
export interface Bookmark {
  /** The room's JID (XEP-0402: the item id; XEP-0048: the `jid` attribute). */
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
  password?: string;
  /** Other child elements: XEP-0402 §3 `<extensions/>`' children, or a legacy conference's unknown children. */
  extensions: Element[];
}

/** xs:boolean (XEP-0048 and XEP-0402 both): 'true' or '1'. */
const bool = (v: string | undefined) => v === 'true' || v === '1';
const KNOWN = new Set(['nick', 'password', 'extensions']);

function fromConference(jid: string, c: Element): Bookmark {
  const b: Bookmark = { jid, autojoin: bool(c.attrs.autojoin), extensions: [] };
  if (c.attrs.name !== undefined) b.name = c.attrs.name;
  const nick = c.getChildText('nick');
  if (nick !== undefined) b.nick = nick;
  const password = c.getChildText('password');
  if (password !== undefined) b.password = password;
  return b;
}

/** An XEP-0402 item (id and `<conference xmlns='urn:xmpp:bookmarks:1'>` payload); undefined when not one. */
export function fromItem(id: string, payload: Element): Bookmark | undefined {
  if (!id || !payload.is('conference', BOOKMARKS_NODE)) return undefined;
  const b = fromConference(id, payload);
  b.extensions =
    payload
      .getChild('extensions')
      ?.elements()
      .map((e) => e.clone()) ?? [];
  return b;
}

/** The XEP-0402 payload of a bookmark (the id is `b.jid`). */
export function toItemPayload(b: Bookmark): Element {
  const c = xml('conference', { xmlns: BOOKMARKS_NODE, ...(b.name !== undefined ? { name: b.name } : {}), ...(b.autojoin ? { autojoin: 'true' } : {}) });
  if (b.nick !== undefined) c.append(xml('nick', {}, b.nick));
  if (b.password !== undefined) c.append(xml('password', {}, b.password));
  if (b.extensions.length > 0) c.append(xml('extensions', {}, ...b.extensions.map((e) => e.clone())));
  return c;
}

/**
 * The conferences of a legacy `<storage xmlns='storage:bookmarks'>` (XEP-0048 §3.2): those with a
 * `jid`; a room listed twice keeps its first entry. Unknown children go to `extensions`.
 */
export function fromLegacy(storage: Element): Bookmark[] {
  const seen = new Set<string>();
  const out: Bookmark[] = [];
  for (const c of storage.getChildren('conference')) {
    const jid = c.attrs.jid;
    if (!jid || seen.has(jid)) continue;
    seen.add(jid);
    const b = fromConference(jid, c);
    b.extensions = c
      .elements()
      .filter((e) => !KNOWN.has(e.name) || e.attrs.xmlns !== undefined)
      .map((e) => e.clone());
    out.push(b);
  }
  return out;
}

/**
 * A legacy storage element holding `bookmarks` as conferences; the non-conference children of `base`
 * (XEP-0048 URL bookmarks, which XEP-0402 §1 leaves out) are kept, so a legacy client loses nothing.
 */
export function toLegacy(bookmarks: readonly Bookmark[], base?: Element): Element {
  const storage = xml('storage', { xmlns: LEGACY_BOOKMARKS_NS });
  for (const keep of base?.elements() ?? []) if (keep.name !== 'conference') storage.append(keep.clone());
  for (const b of bookmarks) {
    const c = xml('conference', { jid: b.jid, autojoin: b.autojoin ? 'true' : 'false', ...(b.name !== undefined ? { name: b.name } : {}) });
    if (b.nick !== undefined) c.append(xml('nick', {}, b.nick));
    if (b.password !== undefined) c.append(xml('password', {}, b.password));
    for (const e of b.extensions) c.append(e.clone());
    storage.append(c);
  }
  return storage;
}

/** Same bookmark in substance (attribute order, 'true' vs '1' aside): no notification for it (XEP-0402 §5.3). */
export function sameBookmark(a: Bookmark, b: Bookmark): boolean {
  const key = (x: Bookmark) => JSON.stringify([x.jid, x.name, x.autojoin, x.nick, x.password, x.extensions.map((e) => e.toString())]);
  return key(a) === key(b);
}
