import type { LdapConfig, SharedRosterConfig } from '#libs/config';
import type { Logger } from '#libs/telemetry';
import { readDirectoryGroups } from './directory-groups.js';
import { LdapPool } from './ldap-pool.js';
import { SharedRoster, type SharedRosterChange } from './shared-roster.js';

export interface RefreshResult {
  groups: number;
  members: number;
  changes: number;
  truncated: boolean;
  skipped: number;
}

/**
 * One domain's shared roster kept from its directory: read at start, every `refreshIntervalMs`, and
 * on demand (`refresh()`: gliderctl / admin API). Listeners hear the changes of each refresh (the
 * presence service pushes them). A failed read keeps the last good roster and logs why.
 */
export class SharedRosterSource {
  private roster = SharedRoster.empty();
  private readonly pool: LdapPool;
  private readonly listeners = new Set<(changes: SharedRosterChange[]) => void | Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RefreshResult> | undefined;

  constructor(
    readonly domain: string,
    ldap: LdapConfig,
    private readonly cfg: SharedRosterConfig,
    private readonly logger: Logger,
  ) {
    this.pool = new LdapPool(ldap);
  }

  get current(): SharedRoster {
    return this.roster;
  }

  onChange(listener: (changes: SharedRosterChange[]) => void | Promise<void>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** First read, then periodic ones. Resolves after the first read (failed or not). */
  async start(): Promise<void> {
    await this.refresh().catch((err: Error) => this.logger.error({ err: err.message }, 'directory: shared roster not read; retried at the next refresh'));
    this.timer ??= setInterval(() => {
      this.refresh().catch((err: Error) => this.logger.warn({ err: err.message }, 'directory: shared roster refresh failed; the last one stays'));
    }, this.cfg.refreshIntervalMs).unref();
  }

  /** Reads the groups now; concurrent calls share one read. */
  refresh(): Promise<RefreshResult> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pool.close();
  }

  private async read(): Promise<RefreshResult> {
    const read = await readDirectoryGroups(this.pool, this.cfg, this.logger);
    const next = new SharedRoster(read.groups);
    const changes = next.diff(this.roster);
    this.roster = next;
    if (changes.length)
      for (const l of this.listeners)
        await Promise.resolve(l(changes)).catch((err: Error) => this.logger.warn({ err: err.message }, 'shared roster listener failed'));
    return { groups: read.groups.length, members: next.memberCount, changes: changes.length, truncated: read.truncated, skipped: read.skipped.length };
  }
}
