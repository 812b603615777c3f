import { makeScramCredentials } from '#libs/auth';
import { announceBlocklistChanged } from '#libs/blocking';
import { BusNoRespondersError, BusTimeoutError, Delivery, subjects, type Bus } from '#libs/bus';
import type { GliderConfig } from '#libs/config';
import { closeSessionsOf, type SessionInfo, type SessionRegistry } from '#libs/sessions';
import { StorageConflictError, StorageUnavailableError, deleteAccountAndData, type Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { xml } from '#libs/xml';
import { AdminError } from './admin-error.js';
import { accountName, password, servedDomain, type AccountName } from './admin-input.js';
import { InviteOperations } from './admin-invites.js';

export interface AdminOperationsDeps {
  config: GliderConfig;
  storage: Storage;
  logger: Logger;
  /** Without them (a process with no bus), sessions are neither listed, closed nor sent to. */
  sessions?: SessionRegistry | undefined;
  bus?: Bus | undefined;
}

export interface OnlineUser {
  /** Bare JID. */
  jid: string;
  /** Full JIDs of its sessions, sorted. */
  resources: string[];
}

export interface UserStats {
  jid: string;
  createdAt: Date;
  disabled: boolean;
  rosterItems: number;
  offlineMessages: number;
  sessions: SessionInfo[];
}

/** What one on-demand shared roster read found (docs/directory.md). */
export interface SharedRosterRefresh {
  domain: string;
  groups: number;
  members: number;
  changes: number;
  truncated: boolean;
  skipped: number;
}

export interface AnnounceOutcome {
  /** Sessions that took the message. */
  delivered: number;
  /** Sessions that had gone or did not acknowledge in bus.deliveryAckTimeoutMs. */
  failed: number;
}

/**
 * The account operations behind every admin protocol: the gRPC API / gliderctl (admin.controller.ts)
 * and XEP-0133 service administration (apps/router features/xep-0133-admin). One implementation,
 * so both check input the same way and both close sessions the same way. Errors are AdminError.
 */
export class AdminOperations {
  /** Invitations (XEP-0401 / XEP-0379): create, list, revoke (admin-invites.ts). */
  readonly invites: InviteOperations;

  constructor(private readonly deps: AdminOperationsDeps) {
    this.invites = new InviteOperations(deps);
  }

  /** A bare JID of a served domain, normalised (RFC 7622); AdminError('invalid') otherwise. */
  account(jid: unknown): AccountName {
    return accountName(jid, this.deps.config.domains);
  }

  async addUser(jid: unknown, pw: unknown): Promise<AccountName> {
    const name = this.account(jid);
    const secret = password(pw);
    return this.storageCall(async () => {
      const scram = await makeScramCredentials(secret);
      try {
        await this.deps.storage.accounts.create({ username: name.username, domain: name.domain, scram, createdAt: new Date(), disabled: false });
      } catch (err) {
        if (err instanceof StorageConflictError) throw new AdminError('exists', `user ${name.bare} already exists`);
        throw err;
      }
      this.deps.logger.info({ jid: name.bare }, 'admin: account created');
      return name;
    });
  }

  /** Deletes the account with its data and closes its sessions (not-authorized). */
  async deleteUser(jid: unknown): Promise<AccountName> {
    const name = this.account(jid);
    return this.storageCall(async () => {
      if (!(await deleteAccountAndData(this.deps.storage, name.username, name.domain))) throw notFound(name.bare);
      if (this.deps.bus) await announceBlocklistChanged(this.deps.bus, name.bare); // its list went with it
      const closed = await this.closeSessions(name.bare, 'not-authorized', 'account deleted');
      this.deps.logger.info({ jid: name.bare, closed }, 'admin: account deleted');
      return name;
    });
  }

  async setPassword(jid: unknown, pw: unknown): Promise<AccountName> {
    const name = this.account(jid);
    const secret = password(pw);
    return this.storageCall(async () => {
      const scram = await makeScramCredentials(secret);
      if (!(await this.deps.storage.accounts.setCredentials(name.username, name.domain, scram))) throw notFound(name.bare);
      // XEP-0484 tokens were issued on the old password's strength: they go with it
      await this.deps.storage.fastTokens.revoke(name.bare);
      // like Prosody: sessions authenticated with the old password end (RFC 6120 §4.9.3.16 reset)
      const closed = await this.closeSessions(name.bare, 'reset', 'password changed');
      this.deps.logger.info({ jid: name.bare, closed }, 'admin: password changed');
      return name;
    });
  }

  /**
   * Disabling refuses further logins (SASL <account-disabled/>, RFC 6120 §6.5.1) and closes the
   * account's sessions (<not-authorized/>); re-enabling lets it log in again.
   */
  async setDisabled(jid: unknown, disabled: boolean): Promise<AccountName> {
    const name = this.account(jid);
    return this.storageCall(async () => {
      if (!(await this.deps.storage.accounts.setDisabled(name.username, name.domain, disabled))) throw notFound(name.bare);
      const closed = disabled ? await this.closeSessions(name.bare, 'not-authorized', 'account disabled') : 0;
      this.deps.logger.info({ jid: name.bare, closed }, disabled ? 'admin: account disabled' : 'admin: account re-enabled');
      return name;
    });
  }

  /** The account's clients holding XEP-0484 FAST tokens: ids, mechanism, expiry; never a token or its key. */
  async fastTokens(jid: unknown): Promise<{ client: string; mechanism: string; expiresAtMs: number; lastActiveMs: number }[]> {
    const name = this.account(jid);
    return this.storageCall(async () => {
      if (!(await this.deps.storage.accounts.get(name.username, name.domain))) throw notFound(name.bare);
      return (await this.deps.storage.fastTokens.list(name.bare)).map((c) => {
        const newest = c.next ?? c.current;
        return { client: c.client, mechanism: newest?.mechanism ?? '', expiresAtMs: newest?.expiresAt.getTime() ?? 0, lastActiveMs: c.updatedAt.getTime() };
      });
    });
  }

  /** Invalidates one client's FAST tokens (by user-agent id) or all of the account's; no new login with them succeeds. */
  async revokeFastTokens(jid: unknown, client: string | undefined): Promise<{ name: AccountName; revoked: number }> {
    const name = this.account(jid);
    return this.storageCall(async () => {
      if (!(await this.deps.storage.accounts.get(name.username, name.domain))) throw notFound(name.bare);
      const revoked = await this.deps.storage.fastTokens.revoke(name.bare, client);
      this.deps.logger.info({ jid: name.bare, client, revoked }, 'admin: FAST tokens revoked');
      return { name, revoked };
    });
  }

  /** Users of `domain` with at least one bound session, sorted by JID. */
  onlineUsers(domain: unknown): OnlineUser[] {
    const d = servedDomain(domain, this.deps.config.domains);
    const byUser = new Map<string, string[]>();
    for (const s of this.registry().all()) {
      const bare = s.jid.slice(0, s.jid.indexOf('/'));
      if (!bare.endsWith(`@${d}`)) continue;
      const list = byUser.get(bare) ?? [];
      list.push(s.jid);
      byUser.set(bare, list);
    }
    return [...byUser].map(([jid, resources]) => ({ jid, resources: resources.sort() })).sort((a, b) => a.jid.localeCompare(b.jid));
  }

  async userStats(jid: unknown): Promise<UserStats> {
    const name = this.account(jid);
    return this.storageCall(async () => {
      const account = await this.deps.storage.accounts.get(name.username, name.domain);
      if (!account) throw notFound(name.bare);
      const [roster, offline, sessions] = await Promise.all([
        this.deps.storage.rosters.get(name.bare),
        this.deps.storage.offline.count(name.bare),
        this.deps.sessions ? this.deps.sessions.ofUser(name.bare) : Promise.resolve([]),
      ]);
      return {
        jid: name.bare,
        createdAt: account.createdAt,
        disabled: account.disabled,
        rosterItems: roster.items.length,
        offlineMessages: offline,
        sessions: [...sessions].sort((a, b) => a.jid.localeCompare(b.jid)),
      };
    });
  }

  /**
   * A headline message from the domain to every available session of its users (XEP-0133 §4.23);
   * sessions that are gone by then are counted as failed, not retried (an announcement is not mail).
   */
  async announce(domain: unknown, message: { subject?: string; body: string }): Promise<AnnounceOutcome> {
    const d = servedDomain(domain, this.deps.config.domains);
    if (!message.body.trim()) throw new AdminError('invalid', 'the announcement has no text');
    const bus = this.deps.bus;
    if (!bus) throw new AdminError('unavailable', 'this process has no bus to reach sessions through');
    const delivery = new Delivery(bus, this.deps.config.bus.deliveryAckTimeoutMs);
    const targets = this.registry()
      .all()
      .filter((s) => s.available && s.jid.slice(0, s.jid.indexOf('/')).endsWith(`@${d}`));
    const outcomes = await Promise.all(
      targets.map((s) => {
        const el = xml(
          'message',
          { from: d, to: s.jid, type: 'headline' },
          message.subject ? xml('subject', {}, message.subject) : undefined,
          xml('body', {}, message.body),
        );
        return delivery.element(el, s);
      }),
    );
    const delivered = outcomes.filter((o) => o.ok).length;
    this.deps.logger.info({ domain: d, delivered, failed: outcomes.length - delivered }, 'admin: announcement sent');
    return { delivered, failed: outcomes.length - delivered };
  }

  /**
   * Reads the directory groups of a domain's shared roster now (or of every domain that has one),
   * in every presence replica; joiners and leavers are pushed as after a periodic refresh.
   */
  async refreshSharedRoster(domain: unknown): Promise<SharedRosterRefresh[]> {
    const d = domain === undefined || domain === '' ? undefined : servedDomain(domain, this.deps.config.domains);
    const configured = Object.entries(this.deps.config.directory.domains).filter(([name, e]) => e.sharedRoster && (d === undefined || name === d));
    if (configured.length === 0) throw new AdminError('invalid', d ? `${d} has no directory.domains.${d}.sharedRoster` : 'no domain has a shared roster');
    const bus = this.deps.bus;
    if (!bus) throw new AdminError('unavailable', 'this process has no bus to reach the presence service through');
    const timeoutMs = Math.max(...configured.map(([, e]) => e.sharedRoster!.refreshTimeoutMs));
    let reply: Uint8Array;
    try {
      reply = await bus.request(subjects.directoryRefresh(), Buffer.from(d ?? ''), { timeoutMs });
    } catch (err) {
      if (err instanceof BusNoRespondersError) throw new AdminError('unavailable', 'no presence service is running');
      if (err instanceof BusTimeoutError) throw new AdminError('unavailable', `the presence service did not answer within ${timeoutMs} ms`);
      throw err;
    }
    const answer = JSON.parse(Buffer.from(reply).toString('utf8')) as { error?: string; results?: Record<string, Omit<SharedRosterRefresh, 'domain'>> };
    if (answer.error !== undefined || !answer.results) throw new AdminError('unavailable', `the directory could not be read: ${answer.error ?? 'no answer'}`);
    this.deps.logger.info({ domain: d, results: answer.results }, 'admin: shared roster refreshed');
    return Object.entries(answer.results).map(([name, r]) => ({ domain: name, ...r }));
  }

  /** Accounts per served domain; `storageProblem` when storage is unhealthy (counts are 0 then). */
  async stats(): Promise<{ domains: { domain: string; users: number }[]; storageProblem: string }> {
    const storageProblem = (await this.deps.storage.health()) ?? '';
    const domains = storageProblem
      ? this.deps.config.domains.map((domain) => ({ domain, users: 0 }))
      : await this.storageCall(() =>
          Promise.all(this.deps.config.domains.map(async (domain) => ({ domain, users: await this.deps.storage.accounts.count(domain) }))),
        );
    return { domains, storageProblem };
  }

  private registry(): SessionRegistry {
    if (!this.deps.sessions) throw new AdminError('unavailable', 'this process has no session registry');
    return this.deps.sessions;
  }

  private async closeSessions(bare: string, condition: string, text: string): Promise<number> {
    if (!this.deps.sessions || !this.deps.bus) return 0;
    return closeSessionsOf(this.deps.bus, this.deps.sessions, bare, condition, text);
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

function notFound(bare: string): AdminError {
  return new AdminError('not-found', `user ${bare} does not exist`);
}
