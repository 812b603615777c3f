import { DatabaseSync } from 'node:sqlite';
import type { CorruptKeys } from '../contract/contract.types.js';

/**
 * The contract suites' `corrupt` hook for the embedded backend: overwrites one record's JSON through
 * a second connection, as a bad disk or a newer schema would. Tests only.
 */
export async function corruptEmbeddedRecord<K extends keyof CorruptKeys>(file: string, kind: K, key: CorruptKeys[K]): Promise<void> {
  const db = new DatabaseSync(file, { timeout: 5_000 });
  try {
    if (kind === 'account') {
      const k = key as CorruptKeys['account'];
      db.prepare(`UPDATE accounts SET scram = '{"SHA-1":' WHERE domain = ? AND username = ?`).run(k.domain, k.username);
    } else {
      const k = key as CorruptKeys['roster-item'];
      db.prepare(`UPDATE roster_items SET data = '{"jid":42}' WHERE owner = ? AND contact = ?`).run(k.owner, k.contact);
    }
  } finally {
    db.close();
  }
}
