import type { Storage } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { SearchBackend } from './search-backends.js';
import type { SearchHit } from './search-form.js';

/** The form fields a local account can be found by, beside its username: what its vCard (XEP-0054) says. */
const VCARD_FIELDS: Record<string, (v: Element) => (string | undefined)[]> = {
  first: (v) => [v.getChild('N')?.getChildText('GIVEN')],
  last: (v) => [v.getChild('N')?.getChildText('FAMILY')],
  nick: (v) => v.getChildren('NICKNAME').map((n) => n.text()),
  email: (v) => v.getChildren('EMAIL').map((e) => e.getChildText('USERID') ?? undefined),
  fn: (v) => [v.getChildText('FN')],
};

export interface LocalSearchLimits {
  pageSize: number;
  /** Accounts looked at per search. */
  scanLimit: number;
  /** vCards read per search (only when a vCard field is searched, plus one per hit to show its fields). */
  vcardScanLimit: number;
}

/**
 * The local accounts of a domain without a directory, as ejabberd's mod_vcard searches them: the
 * username (`user`) and the fields of each account's stored vCard (`first`, `last`, `nick`,
 * `email`, `fn`), each a case-insensitive substring, every filled field matching; disabled accounts
 * left out. Accounts are read in username order, `pageSize` at a time, at most `scanLimit` of them
 * and `vcardScanLimit` vCards per search; stopping at a limit reports the result as cut.
 */
export function localBackend(storage: Storage, domain: string, parse: (xml: string) => Element, limits: LocalSearchLimits): SearchBackend {
  const vcardOf = async (jid: string): Promise<Element | undefined> => {
    const text = await storage.vcards.get(jid);
    if (!text) return undefined;
    try {
      return parse(text);
    } catch {
      return undefined; // an unreadable stored vCard says nothing
    }
  };
  return {
    fields: ['user', ...Object.keys(VCARD_FIELDS)],
    async search(query, max) {
      const needles = Object.entries(query).map(([f, text]) => [f, text.toLowerCase()] as const);
      const byVcard = needles.filter(([f]) => f !== 'user');
      const user = needles.find(([f]) => f === 'user')?.[1];
      const hits: SearchHit[] = [];
      let vcardReads = 0;
      let after: string | undefined;
      let scanned = 0;
      while (scanned < limits.scanLimit) {
        const page = await storage.accounts.list(domain, { ...(after ? { after } : {}), limit: Math.min(limits.pageSize, limits.scanLimit - scanned) });
        if (page.length === 0) return { hits, truncated: false };
        for (const a of page) {
          if (a.disabled || (user !== undefined && !a.username.toLowerCase().includes(user))) continue;
          if (vcardReads >= limits.vcardScanLimit) return { hits, truncated: true };
          vcardReads++;
          const jid = `${a.username}@${domain}`;
          const vcard = await vcardOf(jid);
          const matches = byVcard.every(([f, needle]) => !!vcard && VCARD_FIELDS[f]!(vcard).some((v) => v?.toLowerCase().includes(needle)));
          if (!matches) continue;
          hits.push({ jid, fields: { user: a.username, ...shown(vcard) } });
          if (hits.length > max) return { hits: hits.slice(0, max), truncated: true };
        }
        scanned += page.length;
        after = page[page.length - 1]!.username;
      }
      // Stopped at the scan limit: accounts after it were not looked at.
      return { hits, truncated: true };
    },
  };
}

/** The first value of each vCard field, for the result columns. */
function shown(vcard: Element | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!vcard) return out;
  for (const [f, read] of Object.entries(VCARD_FIELDS)) {
    const v = read(vcard).find((x) => x?.trim());
    if (v) out[f] = v.trim();
  }
  return out;
}
