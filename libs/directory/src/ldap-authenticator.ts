import { InvalidCredentialsError, ResultCodeError } from 'ldapts';
import type { PasswordBackend, PasswordVerdict } from '#libs/auth';
import type { LdapConfig } from '#libs/config';
import type { Logger } from '#libs/telemetry';
import { adBindVerdict } from './ad-bind-errors.js';
import { fillDn, fillFilter } from './ldap-escape.js';
import { DirectoryUnavailableError, LdapPool, type LdapConnection } from './ldap-pool.js';

export interface LdapHealth {
  /** Undefined when the last contact worked; else why it did not. */
  problem: string | undefined;
}

/**
 * Checks a password against one LDAP directory: direct bind by DN pattern, or search-then-bind
 * (service account or anonymous search for the user's entry, then a bind as that entry), then the
 * optional disabled and login filters on the entry. Passwords are never logged.
 */
export class LdapAuthenticator implements PasswordBackend {
  readonly mechanisms = ['PLAIN'] as const;
  readonly health: LdapHealth = { problem: undefined };
  private readonly pool: LdapPool;
  private probe: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: LdapConfig,
    private readonly logger: Logger,
  ) {
    this.pool = new LdapPool(config);
  }

  async verify(username: string, password: string): Promise<PasswordVerdict> {
    // RFC 4513 §5.1.2: a bind with a DN and an empty password is an unauthenticated bind, which
    // many servers answer with success. It must never count as a login.
    if (password === '') return { kind: 'invalid' };
    try {
      const verdict = await this.check(username, password);
      this.up();
      return verdict;
    } catch (err) {
      if (err instanceof DirectoryUnavailableError || !(err instanceof ResultCodeError)) {
        this.down((err as Error).message);
        return { kind: 'unavailable', reason: (err as Error).message };
      }
      // An LDAP result we did not expect (e.g. busy, unwilling to perform on a search): not the user's fault.
      this.logger.warn({ code: err.code, err: err.message }, 'directory refused an operation');
      return { kind: 'unavailable', reason: `LDAP result ${err.code}` };
    }
  }

  /** The directory answers (root DSE read or service bind); used to recover readiness without logins. */
  async ping(): Promise<void> {
    await this.pool.use(async (conn) => {
      await conn.asService();
      await conn.ldap.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] });
    });
  }

  async close(): Promise<void> {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
    await this.pool.close();
  }

  private async check(username: string, password: string): Promise<PasswordVerdict> {
    return this.pool.use(async (conn) => {
      const dn = this.config.userDnPattern ? fillDn(this.config.userDnPattern, username) : await this.findUser(conn, username);
      if (dn === undefined) return { kind: 'invalid' };
      try {
        await conn.bind(dn, password);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) return adBindVerdict(err.message);
        throw err;
      }
      return this.filters(conn, dn);
    });
  }

  private async findUser(conn: LdapConnection, username: string): Promise<string | undefined> {
    await conn.asService();
    let searchEntries;
    try {
      ({ searchEntries } = await conn.ldap.search(this.config.userBase!, {
        scope: 'sub',
        filter: fillFilter(this.config.userFilter, username),
        attributes: ['1.1'],
        sizeLimit: 2,
      }));
    } catch (err) {
      // sizeLimitExceeded (4): more than two entries match.
      if (!(err instanceof ResultCodeError && err.code === 4)) throw err;
      searchEntries = [{ dn: '' }, { dn: '' }];
    }
    if (searchEntries.length > 1) this.logger.warn({ username }, 'directory: the user filter matches more than one entry; refusing the login');
    return searchEntries.length === 1 ? searchEntries[0]!.dn : undefined;
  }

  /** Read on the entry after its password was right: disabled first, then who may log in at all. */
  private async filters(conn: LdapConnection, dn: string): Promise<PasswordVerdict> {
    const { disabledFilter, loginFilter } = this.config;
    if (!disabledFilter && !loginFilter) return { kind: 'valid' };
    if (this.config.bindDn) await conn.asService();
    if (disabledFilter && (await matches(conn, dn, disabledFilter))) return { kind: 'disabled' };
    if (loginFilter && !(await matches(conn, dn, loginFilter))) return { kind: 'invalid' };
    return { kind: 'valid' };
  }

  private up(): void {
    if (this.health.problem === undefined) return;
    this.logger.info({ url: this.config.url }, 'directory reachable again');
    this.health.problem = undefined;
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }

  private down(reason: string): void {
    if (this.health.problem === undefined)
      this.logger.error({ url: this.config.url, err: reason }, 'directory unreachable; its logins fail with temporary-auth-failure');
    this.health.problem = `unreachable: ${reason}`;
    this.probe ??= setInterval(() => {
      this.ping().then(
        () => this.up(),
        (err: Error) => (this.health.problem = `unreachable: ${err.message}`),
      );
    }, this.config.probeIntervalMs).unref();
  }
}

async function matches(conn: LdapConnection, dn: string, filter: string): Promise<boolean> {
  try {
    const { searchEntries } = await conn.ldap.search(dn, { scope: 'base', filter, attributes: ['1.1'] });
    return searchEntries.length > 0;
  } catch (err) {
    // noSuchObject (32): the entry went away between bind and read.
    if (err instanceof ResultCodeError && err.code === 32) return false;
    throw err;
  }
}
