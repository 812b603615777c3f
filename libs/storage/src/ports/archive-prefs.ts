import { StorageRecordError } from './errors.js';
import type { ArchivePrefs } from './archive.repository.js';

const DEFAULTS = new Set(['always', 'roster', 'never']);

/** Checks stored or given preferences (XEP-0313 §6); a damaged record is a StorageRecordError. */
export function validateArchivePrefs(owner: string, raw: unknown): ArchivePrefs {
  const p = raw as Partial<ArchivePrefs> | null;
  const list = (v: unknown) => Array.isArray(v) && v.every((j) => typeof j === 'string');
  if (!p || typeof p !== 'object' || !DEFAULTS.has(p.default as string) || !list(p.always) || !list(p.never)) {
    throw new StorageRecordError(`archive preferences of ${owner}: corrupted record`);
  }
  return { default: p.default as ArchivePrefs['default'], always: [...p.always], never: [...p.never] };
}
