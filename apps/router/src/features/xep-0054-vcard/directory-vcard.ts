import type { DirectoryProfile } from '#libs/directory';
import { NS, StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';

/**
 * vCard fields (XEP-0054 vcard-temp, its DTD's element names) a directory fills. Each is a whole
 * top-level element: where the directory has a value, the element is the directory's.
 */
interface Owned {
  /** The element built from the directory's values (undefined: the directory says nothing). */
  build(p: DirectoryProfile): Element | undefined;
  /** The values of a client's element, in the same order as `build`'s: compared to decide whether it changed them. */
  values(el: Element): string[];
}

const text = (el: Element | undefined) => (el?.text() ?? '').trim();
const single = (name: 'FN' | 'NICKNAME' | 'TITLE' | 'ROLE', field: 'fn' | 'nickname' | 'title' | 'role'): Owned => ({
  build: (p) => (p.fields[field] ? xml(name, {}, p.fields[field]) : undefined),
  values: (el) => [text(el)],
});
/** A structured element whose children come from fields; the client's other children are not compared. */
const parts = (name: string, children: [string, keyof DirectoryProfile['fields']][], extra: string[] = []): Owned => ({
  build: (p) => {
    const present = children.filter(([, f]) => p.fields[f]);
    if (present.length === 0) return undefined;
    return xml(name, {}, ...extra.map((e) => xml(e)), ...present.map(([c, f]) => xml(c, {}, p.fields[f])));
  },
  values: (el) => children.map(([c]) => text(el.getChild(c))),
});

const OWNED: Record<string, Owned> = {
  FN: single('FN', 'fn'),
  N: parts('N', [
    ['FAMILY', 'family'],
    ['GIVEN', 'given'],
  ]),
  NICKNAME: single('NICKNAME', 'nickname'),
  EMAIL: parts('EMAIL', [['USERID', 'email']], ['INTERNET', 'WORK']),
  TEL: parts('TEL', [['NUMBER', 'tel']], ['WORK', 'VOICE']),
  ORG: parts('ORG', [
    ['ORGNAME', 'org'],
    ['ORGUNIT', 'orgUnit'],
  ]),
  TITLE: single('TITLE', 'title'),
  ROLE: single('ROLE', 'role'),
  PHOTO: {
    build: (p) => (p.photo ? xml('PHOTO', {}, xml('TYPE', {}, p.photo.type), xml('BINVAL', {}, p.photo.data.toString('base64'))) : undefined),
    values: (el) => [(el.getChildText('BINVAL') ?? '').replace(/\s+/g, '')],
  },
};

/** The directory's elements, by name (only those it has a value for). */
function directoryElements(p: DirectoryProfile): Map<string, Element> {
  const out = new Map<string, Element>();
  for (const [name, owned] of Object.entries(OWNED)) {
    const el = owned.build(p);
    if (el) out.set(name, el);
  }
  return out;
}

/** What a vCard get answers: the user's own fields, with every field the directory has replaced by the directory's. */
export function withDirectoryFields(stored: Element | undefined, p: DirectoryProfile): Element {
  const own = directoryElements(p);
  const out = xml('vCard', { xmlns: NS.vcard });
  for (const el of stored?.elements() ?? []) if (!own.has(el.name)) out.append(el.clone());
  for (const el of own.values()) out.append(el);
  return out;
}

/**
 * A vCard set by a directory user (docs/directory.md, "vCards"). Fields the directory fills are
 * read-only: sent back unchanged (a client re-saving the whole vCard it read) or left out, they are
 * fine; sent with another value, the set is refused with not-allowed naming them. What is stored is
 * the user's own fields only, so a later change in the directory shows at once.
 */
export function userPart(set: Element, p: DirectoryProfile): Element | StanzaError {
  const own = directoryElements(p);
  const changed = new Set<string>();
  const kept = xml('vCard', { xmlns: NS.vcard });
  for (const el of set.elements()) {
    const dir = own.get(el.name);
    if (!dir) {
      kept.append(el.clone());
      continue;
    }
    const theirs = OWNED[el.name]!.values(el);
    const ours = OWNED[el.name]!.values(dir);
    if (theirs.some((v, i) => v !== ours[i])) changed.add(el.name);
  }
  if (changed.size > 0) {
    return new StanzaError('not-allowed', { text: `${[...changed].join(', ')} come from the company directory and cannot be changed here` });
  }
  return kept;
}
