import type { Invite, InviteUse, InvitesRepository } from '../ports/invites.repository.js';
import { StorageConflictError } from '../ports/errors.js';
import type { EmbeddedDatabase } from './embedded-database.js';

interface Row {
  id: string;
  domain: string;
  inviter: string | null;
  grp: string | null;
  uses_left: number;
  max_uses: number;
  created_at: number;
  expires_at: number;
}

/** Invites: one row each; a use is a check and a decrement in one write transaction. */
export class EmbeddedInvitesRepository implements InvitesRepository {
  constructor(private readonly db: EmbeddedDatabase) {}

  async create(i: Invite): Promise<void> {
    this.db.write((db) => {
      if (db.prepare('SELECT 1 FROM invites WHERE id = ?').get(i.id)) throw new StorageConflictError(`invite ${i.id} exists`);
      db.prepare('INSERT INTO invites (id, domain, inviter, grp, uses_left, max_uses, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        i.id,
        i.domain,
        i.inviter ?? null,
        i.group ?? null,
        i.usesLeft,
        i.maxUses,
        i.createdAt.getTime(),
        i.expiresAt.getTime(),
      );
    });
  }

  async get(id: string): Promise<Invite | undefined> {
    const row = this.db.read((db) => db.prepare('SELECT * FROM invites WHERE id = ?').get(id) as Row | undefined);
    return row && fromRow(row);
  }

  async use(id: string, now: Date): Promise<InviteUse> {
    return this.db.write((db): InviteUse => {
      const row = db.prepare('SELECT * FROM invites WHERE id = ?').get(id) as Row | undefined;
      if (!row) return { kind: 'unknown' };
      if (row.expires_at <= now.getTime()) return { kind: 'expired' };
      if (row.uses_left <= 0) return { kind: 'used-up' };
      db.prepare('UPDATE invites SET uses_left = uses_left - 1 WHERE id = ?').run(id);
      return { kind: 'ok', invite: fromRow({ ...row, uses_left: row.uses_left - 1 }) };
    });
  }

  async release(id: string): Promise<void> {
    this.db.write((db) => db.prepare('UPDATE invites SET uses_left = MIN(uses_left + 1, max_uses) WHERE id = ?').run(id));
  }

  async list(domain?: string): Promise<Invite[]> {
    const rows = this.db.read(
      (db) =>
        (domain === undefined
          ? db.prepare('SELECT * FROM invites ORDER BY created_at, id').all()
          : db.prepare('SELECT * FROM invites WHERE domain = ? ORDER BY created_at, id').all(domain)) as unknown as Row[],
    );
    return rows.map(fromRow);
  }

  async revoke(id: string): Promise<boolean> {
    return this.db.write((db) => Number(db.prepare('DELETE FROM invites WHERE id = ?').run(id).changes) > 0);
  }

  async deleteByInviter(inviter: string): Promise<void> {
    this.db.write((db) => db.prepare('DELETE FROM invites WHERE inviter = ?').run(inviter));
  }
}

function fromRow(r: Row): Invite {
  const i: Invite = {
    id: r.id,
    domain: r.domain,
    usesLeft: r.uses_left,
    maxUses: r.max_uses,
    createdAt: new Date(r.created_at),
    expiresAt: new Date(r.expires_at),
  };
  if (r.inviter !== null) i.inviter = r.inviter;
  if (r.grp !== null) i.group = r.grp;
  return i;
}
