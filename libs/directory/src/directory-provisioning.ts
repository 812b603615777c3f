import type { DirectoryConfig } from '#libs/config';
import { StanzaError } from '#libs/stanza';
import type { Storage } from '#libs/storage';
import type { Logger } from '#libs/telemetry';
import { DirectoryUsers } from './directory-users.js';
import { DirectoryRefusedError, DirectoryUnavailableError } from './ldap-pool.js';
import { provisionAccount } from './provision-account.js';

/**
 * Does a user exist? true / false, or 'unknown' while the directory that would say cannot be asked
 * (the caller answers with a `wait` error rather than as if the user did not exist).
 */
export type UserExistence = boolean | 'unknown';

/**
 * A directory user who never signed in has no account record, yet they exist: the directory says
 * so (as ejabberd with LDAP auth treats a user in LDAP as existing). When routing or presence finds
 * no record for a user of a directory domain (`provisionOnLookup`, default on), this asks the
 * directory whether they may sign on (`userFilter`, `loginFilter`, not `disabledFilter`) and, if
 * so, makes the record exactly as their first login would (provisionAccount): a message to them is
 * then stored offline and delivered at that login. Uses DirectoryUsers (its own pool, the back-off
 * after an unreachable directory: one timeout per `probeIntervalMs` at most, never a hang).
 */
export class DirectoryProvisioning {
  private readonly users: DirectoryUsers;
  private readonly domains: Set<string>;

  constructor(
    config: DirectoryConfig,
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {
    const on = Object.entries(config.domains).filter(([, d]) => d.provisionOnLookup);
    this.domains = new Set(on.map(([domain]) => domain));
    this.users = new DirectoryUsers({ domains: Object.fromEntries(on) });
  }

  /** Whether any domain provisions on lookup (else no pool is worth keeping). */
  get size(): number {
    return this.domains.size;
  }

  /** For a user with no account record: provisions them when the directory has them. */
  async lookUp(username: string, domain: string): Promise<UserExistence> {
    if (!this.domains.has(domain)) return false;
    let found: boolean;
    try {
      found = await this.users.maySignOn(username, domain);
    } catch (err) {
      if (!(err instanceof DirectoryUnavailableError || err instanceof DirectoryRefusedError)) throw err;
      this.logger.debug({ domain, err: err.message }, 'directory not asked whether a user exists: answering unknown');
      return 'unknown';
    }
    if (!found) return false;
    await provisionAccount(this.storage, username, domain, this.logger, 'directory user who never signed in was looked up');
    return true;
  }

  close(): Promise<void> {
    return this.users.close();
  }
}

/**
 * What a stanza to a user whose existence is 'unknown' gets: RFC 6120 §8.3.3.16
 * remote-server-timeout (type wait, "needed to fulfill a request"), so the sender may try again.
 * Not service-unavailable: that would tell the sender there is no such user.
 */
export function directoryDownError(): StanzaError {
  return new StanzaError('remote-server-timeout', { text: 'the company directory cannot be reached to find this user; try again later' });
}
