import type { Account, AccountsRepository } from '../ports/accounts.repository.js';
import { StorageConflictError, StorageRecordError } from '../ports/errors.js';
import { parseJsonRecord, validateScram } from '../record-validation.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Row {
  domain: string;
  username: string;
  scram: string;
  created_at: number;
  disabled: number;
}

const DEFAULT_PAGE = 100;

export class EmbeddedAccountsRepository implements AccountsRepository {
  constructor(
    private readonly db: EmbeddedDatabase,
    private readonly onBadRecord: (err: StorageRecordError) => void,
  ) {}

  async create(a: Account): Promise<void> {
    const inserted = this.db.read((db) =>
      db
        .prepare(
          `INSERT INTO accounts (domain, username, scram, created_at, disabled) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
        )
        .run(a.domain, a.username, JSON.stringify(a.scram), a.createdAt.getTime(), a.disabled ? 1 : 0),
    );
    if (inserted.changes === 0) throw new StorageConflictError(`account ${a.username}@${a.domain} exists`);
  }

  async get(username: string, domain: string): Promise<Account | undefined> {
    const row = this.db.read((db) => db.prepare('SELECT * FROM accounts WHERE domain = ? AND username = ?').get(domain, username) as Row | undefined);
    return row && toAccount(row);
  }

  async setCredentials(username: string, domain: string, scram: Account['scram']): Promise<boolean> {
    const r = this.db.read((db) => db.prepare('UPDATE accounts SET scram = ? WHERE domain = ? AND username = ?').run(JSON.stringify(scram), domain, username));
    return r.changes > 0;
  }

  async setDisabled(username: string, domain: string, disabled: boolean): Promise<boolean> {
    const r = this.db.read((db) => db.prepare('UPDATE accounts SET disabled = ? WHERE domain = ? AND username = ?').run(disabled ? 1 : 0, domain, username));
    return r.changes > 0;
  }

  async delete(username: string, domain: string): Promise<boolean> {
    const r = this.db.read((db) => db.prepare('DELETE FROM accounts WHERE domain = ? AND username = ?').run(domain, username));
    return r.changes > 0;
  }

  async list(domain: string, opts: { after?: string; limit?: number } = {}): Promise<Account[]> {
    const rows = this.db.read(
      (db) =>
        db
          .prepare('SELECT * FROM accounts WHERE domain = ? AND username > ? ORDER BY username LIMIT ?')
          .all(domain, opts.after ?? '', opts.limit ?? DEFAULT_PAGE) as unknown as Row[],
    );
    const accounts: Account[] = [];
    for (const row of rows) {
      try {
        accounts.push(toAccount(row));
      } catch (err) {
        if (!(err instanceof StorageRecordError)) throw err;
        this.onBadRecord(err);
      }
    }
    return accounts;
  }

  async count(domain: string): Promise<number> {
    const row = this.db.read((db) => db.prepare('SELECT COUNT(*) AS n FROM accounts WHERE domain = ?').get(domain) as { n: number });
    return row.n;
  }
}

function toAccount(row: Row): Account {
  const what = `account ${row.username}@${row.domain}`;
  return {
    username: row.username,
    domain: row.domain,
    scram: validateScram(parseJsonRecord(row.scram, what), what),
    createdAt: new Date(row.created_at),
    disabled: row.disabled === 1,
  };
}
