import type { ArchiveConfig } from '#libs/config';
import type { ArchivePrefs, Storage } from '#libs/storage';

/**
 * XEP-0313 §6: whether `owner`'s archive keeps a message exchanged with `peer` (bare JID). `never`
 * wins over `always`, which wins over the default; `roster` archives contacts in the owner's
 * roster only. Owners who never set preferences get `archive.defaultPolicy`.
 */
/** Thrown when the preferences did not come in `archive.prefsReadTimeoutMs`. */
export class PrefsTimeoutError extends Error {
  override readonly name = 'PrefsTimeoutError';
}

/** `archivesWith`, bounded by `archive.prefsReadTimeoutMs` (the message waits for it). */
export function archivesWithin(storage: Storage, cfg: ArchiveConfig, owner: string, peer: string): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PrefsTimeoutError(`archive preferences of ${owner} took over ${cfg.prefsReadTimeoutMs} ms`)), cfg.prefsReadTimeoutMs);
  });
  return Promise.race([archivesWith(storage, cfg, owner, peer), late]).finally(() => clearTimeout(timer));
}

export async function archivesWith(storage: Storage, cfg: ArchiveConfig, owner: string, peer: string): Promise<boolean> {
  const prefs: ArchivePrefs = (await storage.archive.getPrefs(owner)) ?? { default: cfg.defaultPolicy, always: [], never: [] };
  if (prefs.never.includes(peer)) return false;
  if (prefs.always.includes(peer)) return true;
  if (prefs.default === 'always') return true;
  if (prefs.default === 'never') return false;
  return (await storage.rosters.getItem(owner, peer)) !== undefined;
}
