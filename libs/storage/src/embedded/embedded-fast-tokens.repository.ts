import type { FastClientTokens, FastSlotName, FastTokenSlot, FastTokensRepository } from '../ports/fast-tokens.repository.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Row {
  account: string;
  client: string;
  data: string;
  updated_at: number;
}
interface SlotJson {
  key: string;
  mechanism: string;
  issuedAt: number;
  expiresAt: number;
  count: number;
}

/** XEP-0484 tokens: one row per (account, client), both slots as JSON; every change in one write transaction. */
export class EmbeddedFastTokensRepository implements FastTokensRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async get(account: string, client: string): Promise<FastClientTokens | undefined> {
    const row = this.db.read((db) => db.prepare('SELECT * FROM fast_tokens WHERE account = ? AND client = ?').get(account, client) as Row | undefined);
    return row ? fromRow(row) : undefined;
  }

  async issue(account: string, client: string, slot: FastTokenSlot, maxClients: number, now: Date): Promise<void> {
    this.db.write((db) => {
      const row = db.prepare('SELECT * FROM fast_tokens WHERE account = ? AND client = ?').get(account, client) as Row | undefined;
      const current = row ? fromRow(row).current : undefined;
      db.prepare('INSERT OR REPLACE INTO fast_tokens (account, client, data, updated_at) VALUES (?, ?, ?, ?)').run(
        account,
        client,
        JSON.stringify({ current: current && toJson(current), next: toJson(slot) }),
        now.getTime(),
      );
      const others = db.prepare('SELECT client FROM fast_tokens WHERE account = ? AND client != ? ORDER BY updated_at DESC, client').all(account, client) as {
        client: string;
      }[];
      const del = db.prepare('DELETE FROM fast_tokens WHERE account = ? AND client = ?');
      for (const o of others.slice(Math.max(0, maxClients - 1))) del.run(account, o.client);
    });
  }

  async use(account: string, client: string, slot: FastSlotName, key: string, count: number | undefined, now: Date): Promise<boolean> {
    return this.db.write((db) => {
      const row = db.prepare('SELECT * FROM fast_tokens WHERE account = ? AND client = ?').get(account, client) as Row | undefined;
      if (!row) return false;
      const t = fromRow(row);
      const used = t[slot];
      if (!used || used.key !== key) return false;
      if (count !== undefined) {
        if (count <= used.count) return false;
        used.count = count;
      }
      const next = slot === 'next' ? undefined : t.next;
      db.prepare('UPDATE fast_tokens SET data = ?, updated_at = ? WHERE account = ? AND client = ?').run(
        JSON.stringify({ current: toJson(used), next: next && toJson(next) }),
        now.getTime(),
        account,
        client,
      );
      return true;
    });
  }

  async revoke(account: string, client?: string): Promise<number> {
    return this.db.write((db) => {
      const r =
        client === undefined
          ? db.prepare('DELETE FROM fast_tokens WHERE account = ?').run(account)
          : db.prepare('DELETE FROM fast_tokens WHERE account = ? AND client = ?').run(account, client);
      return Number(r.changes);
    });
  }

  async list(account: string): Promise<FastClientTokens[]> {
    const rows = this.db.read((db) => db.prepare('SELECT * FROM fast_tokens WHERE account = ? ORDER BY updated_at, client').all(account) as unknown as Row[]);
    return rows.map(fromRow);
  }

  async deleteAll(account: string): Promise<void> {
    await this.revoke(account);
  }
}

function toJson(s: FastTokenSlot): SlotJson {
  return { key: s.key, mechanism: s.mechanism, issuedAt: s.issuedAt.getTime(), expiresAt: s.expiresAt.getTime(), count: s.count };
}

function fromJson(s: SlotJson | undefined): FastTokenSlot | undefined {
  return s && { key: s.key, mechanism: s.mechanism, issuedAt: new Date(s.issuedAt), expiresAt: new Date(s.expiresAt), count: s.count };
}

function fromRow(row: Row): FastClientTokens {
  const data = JSON.parse(row.data) as { current?: SlotJson; next?: SlotJson };
  const t: FastClientTokens = { account: row.account, client: row.client, updatedAt: new Date(row.updated_at) };
  const current = fromJson(data.current);
  const next = fromJson(data.next);
  if (current) t.current = current;
  if (next) t.next = next;
  return t;
}
