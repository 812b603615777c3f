import { inviteTokenId, newInviteToken } from '#libs/auth';
import type { GliderConfig } from '#libs/config';
import { StorageUnavailableError, type Invite, type Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { AdminError, invalid } from './admin-error.js';
import { accountName, servedDomain } from './admin-input.js';

export interface CreatedInvite {
  /** The token's id (hex SHA-256): what list and revoke name; the token itself is shown once. */
  id: string;
  token: string;
  /** XEP-0401 §4 / XEP-0379 §3 URI: xmpp:<inviter>?roster;preauth=T;ibr=y or xmpp:<domain>?register;preauth=T. */
  uri: string;
  /** https landing page for people without a client yet: <base>/invite#<uri> (the token stays in the fragment). */
  link: string;
  invite: Invite;
}

const DURATION = /^(\d+)([smhdw])$/;
const UNIT_SEC: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 };

/** "7d", "12h", "30m", "90s", "2w" → seconds; AdminError('invalid') otherwise. */
export function parseDuration(raw: string): number {
  const m = DURATION.exec(raw.trim());
  if (!m) throw invalid(`expiry "${raw}" is not a duration like 7d, 12h, 30m`);
  return Number(m[1]) * UNIT_SEC[m[2]!]!;
}

/**
 * Invitations for the admin API and gliderctl (issue 15 §5). `target` is a served domain (an
 * account invite) or a bare JID of an existing account (a roster invite: the newcomer and that
 * account become contacts, XEP-0379). Limits from config `invites`.
 */
export class InviteOperations {
  constructor(private readonly deps: { config: GliderConfig; storage: Storage; logger: Logger }) {}

  async create(target: unknown, opts: { group?: string; uses?: number; expires?: string }, now = new Date()): Promise<CreatedInvite> {
    const cfg = this.deps.config.invites;
    const raw = typeof target === 'string' && target !== '' ? target : this.deps.config.domains[0]!;
    const inviter = raw.includes('@') ? accountName(raw, this.deps.config.domains) : undefined;
    const domain = inviter ? inviter.domain : servedDomain(raw, this.deps.config.domains);
    const uses = opts.uses ?? cfg.defaultUses;
    if (!Number.isInteger(uses) || uses < 1 || uses > cfg.maxUses) throw invalid(`uses must be 1..${cfg.maxUses}`);
    const lifetime = opts.expires ? parseDuration(opts.expires) : cfg.defaultExpirySec;
    if (lifetime < cfg.minExpirySec || lifetime > cfg.maxExpirySec) throw invalid(`expiry must be between ${cfg.minExpirySec}s and ${cfg.maxExpirySec}s`);
    const group = opts.group?.trim();
    if (group !== undefined && (group === '' || group.length > 256)) throw invalid('group must be 1..256 characters');
    const token = newInviteToken();
    const invite: Invite = {
      id: inviteTokenId(token),
      domain,
      usesLeft: uses,
      maxUses: uses,
      createdAt: now,
      expiresAt: new Date(now.getTime() + lifetime * 1000),
    };
    if (group) invite.group = group;
    return this.storageCall(async () => {
      if (inviter) {
        if (!(await this.deps.storage.accounts.get(inviter.username, inviter.domain))) throw new AdminError('not-found', `user ${inviter.bare} does not exist`);
        invite.inviter = inviter.bare;
      }
      await this.deps.storage.invites.create(invite);
      this.deps.logger.info({ id: invite.id, domain, inviter: invite.inviter, uses, expiresAt: invite.expiresAt }, 'admin: invite created');
      const uri = invite.inviter ? `xmpp:${invite.inviter}?roster;preauth=${token};ibr=y` : `xmpp:${domain}?register;preauth=${token}`;
      const base = (this.deps.config.invites.landingBaseUrl ?? `https://${domain}:${this.deps.config.edge.wssPort}`).replace(/\/$/, '');
      return { id: invite.id, token, uri, link: `${base}/invite#${encodeURIComponent(uri)}`, invite };
    });
  }

  list(domain: unknown): Promise<Invite[]> {
    const d = domain === undefined || domain === '' ? undefined : servedDomain(domain, this.deps.config.domains);
    return this.storageCall(() => this.deps.storage.invites.list(d));
  }

  async revoke(id: unknown): Promise<string> {
    if (typeof id !== 'string' || !/^[0-9a-f]{64}$/.test(id)) throw invalid('an invite id is 64 hex digits (see invite list)');
    return this.storageCall(async () => {
      if (!(await this.deps.storage.invites.revoke(id))) throw new AdminError('not-found', `invite ${id} does not exist`);
      this.deps.logger.info({ id }, 'admin: invite revoked');
      return id;
    });
  }

  private async storageCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StorageUnavailableError) throw new AdminError('unavailable', `storage unavailable: ${err.message}`);
      throw err;
    }
  }
}
