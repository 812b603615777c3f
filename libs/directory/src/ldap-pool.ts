import { readFileSync } from 'node:fs';
import { checkServerIdentity as tlsCheck, type ConnectionOptions } from 'node:tls';
import { Client, ResultCodeError } from 'ldapts';
import type { LdapConfig } from '#libs/config';

/** The directory could not be asked (unreachable, timed out, no free connection, refused the service account). */
export class DirectoryUnavailableError extends Error {
  override readonly name = 'DirectoryUnavailableError';
}

/** The directory answered an operation with an LDAP error result (e.g. unwillingToPerform, a size limit). */
export class DirectoryRefusedError extends Error {
  override readonly name = 'DirectoryRefusedError';
}

/**
 * One pooled connection. Binds change who it is, so it remembers: a search wanting the service
 * account rebinds first. ldapts reconnects by itself after the server closed the socket, but a
 * reconnected socket has not done StartTLS; `ready()` redoes it before anything is sent.
 */
export class LdapConnection {
  boundAs: string | undefined;
  private client: Client;

  constructor(private readonly pool: LdapPool) {
    this.client = pool.newClient();
  }

  get ldap(): Client {
    return this.client;
  }

  async ready(): Promise<void> {
    if (this.client.isConnected) return;
    this.boundAs = undefined;
    // A copy: ldapts writes the plain socket into the options it is given.
    if (this.pool.config.startTls) await this.client.startTLS({ ...this.pool.tlsOptions });
  }

  async bind(dn: string, password: string): Promise<void> {
    await this.ready();
    this.boundAs = undefined;
    await this.client.bind(dn, password);
    this.boundAs = dn;
  }

  /** As the service account (or anonymous when none is configured). */
  async asService(): Promise<void> {
    await this.ready();
    const { bindDn } = this.pool.config;
    if (bindDn === undefined || this.boundAs === bindDn) return;
    try {
      await this.bind(bindDn, this.pool.servicePassword());
    } catch (err) {
      if (err instanceof ResultCodeError) throw new DirectoryUnavailableError(`the service account ${bindDn} was refused (${err.code})`);
      throw err;
    }
  }

  /** After a transport failure the connection is replaced, never reused half-known. */
  reset(): void {
    const old = this.client;
    this.client = this.pool.newClient();
    this.boundAs = undefined;
    void old.unbind().catch(() => undefined);
  }

  close(): Promise<void> {
    return this.client.unbind().catch(() => undefined);
  }
}

/**
 * At most `poolSize` connections to one directory, each used by one operation at a time; a caller
 * waits up to `acquireTimeoutMs` for one. Transport errors (not LDAP result codes) become
 * DirectoryUnavailableError and replace the connection.
 */
export class LdapPool {
  readonly tlsOptions: ConnectionOptions;
  private readonly idle: LdapConnection[] = [];
  private created = 0;
  private readonly waiters: { resolve: (c: LdapConnection) => void; timer: NodeJS.Timeout }[] = [];
  private closed = false;

  constructor(readonly config: LdapConfig) {
    const host = new URL(config.url).hostname;
    this.tlsOptions = {
      ca: config.tls.caFile ? readFileSync(config.tls.caFile, 'utf8') : undefined,
      servername: config.tls.serverName ?? (isIp(host) ? undefined : host),
      minVersion: config.tls.minVersion,
      rejectUnauthorized: true,
    };
    if (config.tls.serverName) this.tlsOptions.checkServerIdentity = checkNamed(config.tls.serverName);
  }

  newClient(): Client {
    return new Client({
      url: this.config.url,
      timeout: this.config.operationTimeoutMs,
      connectTimeout: this.config.connectTimeoutMs,
      // Only for ldaps://: given with an ldap:// URL, ldapts' StartTLS handshake fails (ldapts 9.2).
      tlsOptions: this.config.url.startsWith('ldaps://') ? { ...this.tlsOptions } : undefined,
      strictDN: false,
    });
  }

  /** Read at each service bind, so a rotated Secret is picked up; never logged. */
  servicePassword(): string {
    const file = this.config.bindPasswordFile;
    if (!file) return '';
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }

  async use<T>(fn: (conn: LdapConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    try {
      return await fn(conn);
    } catch (err) {
      if (err instanceof ResultCodeError || err instanceof DirectoryUnavailableError) throw err;
      conn.reset();
      throw new DirectoryUnavailableError((err as Error).message || String(err));
    } finally {
      this.release(conn);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) clearTimeout(w.timer);
    await Promise.all(this.idle.splice(0).map((c) => c.close()));
  }

  private acquire(): Promise<LdapConnection> {
    if (this.closed) return Promise.reject(new DirectoryUnavailableError('the directory client is closed'));
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    if (this.created < this.config.poolSize) {
      this.created++;
      return Promise.resolve(new LdapConnection(this));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new DirectoryUnavailableError(`no free directory connection within ${this.config.acquireTimeoutMs} ms`));
        }, this.config.acquireTimeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  private release(conn: LdapConnection): void {
    if (this.closed) return void conn.close();
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(conn);
    } else this.idle.push(conn);
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** tls.checkServerIdentity against the configured name instead of the dialled host. */
function checkNamed(name: string): ConnectionOptions['checkServerIdentity'] {
  return (_host, cert) => tlsCheck(name, cert);
}
