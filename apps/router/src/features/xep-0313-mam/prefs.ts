import type { ArchiveConfig } from '#libs/config';
import { tryParseJid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import type { ArchiveDefault, ArchivePrefs } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';

const DEFAULTS = new Set<string>(['always', 'roster', 'never']);

/** XEP-0313 §6: get or set one's own `<prefs/>`; the answer is the preferences now in force. */
export async function handlePrefs(ctx: RouterContext, cfg: ArchiveConfig, req: IqRequest): Promise<Element | StanzaError> {
  if (req.payload.name !== 'prefs') return new StanzaError('bad-request', { text: 'expected <prefs/>' });
  const owner = req.from.bare().toString();
  if (req.iq.attrs.type === 'get') return prefsElement((await ctx.storage.archive.getPrefs(owner)) ?? { default: cfg.defaultPolicy, always: [], never: [] });
  const prefs = readPrefs(req.payload, cfg.maxPrefsJids);
  if (prefs instanceof StanzaError) return prefs;
  await ctx.storage.archive.setPrefs(owner, prefs);
  return prefsElement(prefs);
}

function readPrefs(el: Element, maxJids: number): ArchivePrefs | StanzaError {
  const def = el.attrs.default;
  if (!def || !DEFAULTS.has(def)) return new StanzaError('bad-request', { text: 'default must be always, roster or never' });
  const list = (name: string): string[] | StanzaError => {
    const jids = el.getChild(name, NS.mam)?.getChildren('jid', NS.mam) ?? [];
    if (jids.length > maxJids) return new StanzaError('not-acceptable', { text: `at most ${maxJids} JIDs in <${name}/>` });
    const out: string[] = [];
    for (const j of jids) {
      const jid = tryParseJid(j.text().trim());
      if (!jid) return new StanzaError('bad-request', { text: `not a JID: ${j.text()}` });
      out.push(jid.bare().toString());
    }
    return [...new Set(out)];
  };
  const always = list('always');
  if (always instanceof StanzaError) return always;
  const never = list('never');
  if (never instanceof StanzaError) return never;
  return { default: def as ArchiveDefault, always, never };
}

function prefsElement(p: ArchivePrefs): Element {
  const jids = (list: string[]) => list.map((j) => xml('jid', {}, j));
  return xml('prefs', { xmlns: NS.mam, default: p.default }, xml('always', {}, ...jids(p.always)), xml('never', {}, ...jids(p.never)));
}
