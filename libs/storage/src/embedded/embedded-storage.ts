import { join } from 'node:path';
import type { Logger } from '#libs/telemetry';
import type { StorageRecordError } from '../ports/errors.js';
import type { Storage } from '../ports/storage.js';
import { EmbeddedArchiveRepository } from './embedded-archive.repository.js';
import { EmbeddedAccountsRepository } from './embedded-accounts.repository.js';
import { EmbeddedBlocklistRepository } from './embedded-blocklist.repository.js';
import { EmbeddedPushRepository } from './embedded-push.repository.js';
import { EmbeddedDatabase } from './embedded-database.js';
import { EmbeddedLastActivityRepository } from './embedded-last-activity.repository.js';
import { EmbeddedOfflineRepository } from './embedded-offline.repository.js';
import { EmbeddedPubSubRepository } from './embedded-pubsub.repository.js';
import { EmbeddedPrivateXmlRepository } from './embedded-private-xml.repository.js';
import { EmbeddedRostersRepository } from './embedded-rosters.repository.js';
import { EmbeddedUploadsRepository } from './embedded-uploads.repository.js';
import { EmbeddedVcardsRepository } from './embedded-vcards.repository.js';
import { EmbeddedFastTokensRepository } from './embedded-fast-tokens.repository.js';
import { EmbeddedInvitesRepository } from './embedded-invites.repository.js';
import { EmbeddedMucRoomsRepository } from './embedded-muc-rooms.repository.js';

export interface EmbeddedStorageOptions {
  /** Directory of `glider.db` (created when missing). */
  dataDir: string;
  logger?: Pick<Logger, 'warn' | 'info'>;
  busyTimeoutMs?: number;
}

/** Every repository on one durable SQLite file (`node:sqlite`): what `standalone` runs on. */
export class EmbeddedStorage implements Storage {
  readonly file: string;
  readonly accounts: EmbeddedAccountsRepository;
  readonly rosters: EmbeddedRostersRepository;
  readonly offline: EmbeddedOfflineRepository;
  readonly vcards: EmbeddedVcardsRepository;
  readonly privateXml: EmbeddedPrivateXmlRepository;
  readonly lastActivity: EmbeddedLastActivityRepository;
  readonly uploads: EmbeddedUploadsRepository;
  readonly blocklist: EmbeddedBlocklistRepository;
  readonly archive: EmbeddedArchiveRepository;
  readonly push: EmbeddedPushRepository;
  readonly pubsub: EmbeddedPubSubRepository;
  readonly fastTokens: EmbeddedFastTokensRepository;
  readonly invites: EmbeddedInvitesRepository;
  readonly mucRooms: EmbeddedMucRoomsRepository;
  private readonly db: EmbeddedDatabase;

  constructor(private readonly opts: EmbeddedStorageOptions) {
    this.file = join(opts.dataDir, 'glider.db');
    this.db = new EmbeddedDatabase({ file: this.file, ...(opts.busyTimeoutMs !== undefined ? { busyTimeoutMs: opts.busyTimeoutMs } : {}) });
    const onBadRecord = (err: StorageRecordError) => this.opts.logger?.warn({ err: err.message }, 'skipping an unreadable record');
    this.accounts = new EmbeddedAccountsRepository(this.db, onBadRecord);
    this.rosters = new EmbeddedRostersRepository(this.db, onBadRecord);
    this.offline = new EmbeddedOfflineRepository(this.db);
    this.vcards = new EmbeddedVcardsRepository(this.db);
    this.privateXml = new EmbeddedPrivateXmlRepository(this.db);
    this.lastActivity = new EmbeddedLastActivityRepository(this.db);
    this.uploads = new EmbeddedUploadsRepository(this.db, opts.dataDir);
    this.blocklist = new EmbeddedBlocklistRepository(this.db);
    this.archive = new EmbeddedArchiveRepository(this.db);
    this.push = new EmbeddedPushRepository(this.db);
    this.pubsub = new EmbeddedPubSubRepository(this.db);
    this.fastTokens = new EmbeddedFastTokensRepository(this.db);
    this.invites = new EmbeddedInvitesRepository(this.db);
    this.mucRooms = new EmbeddedMucRoomsRepository(this.db);
  }

  async open(): Promise<void> {
    if (this.db.isOpen) return;
    this.db.open();
    this.opts.logger?.info({ file: this.file }, 'embedded storage open');
  }

  async health(): Promise<string | undefined> {
    if (!this.db.isOpen) return 'embedded storage is not open';
    try {
      this.db.read((db) => db.prepare('SELECT 1').get());
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  async close(): Promise<void> {
    this.archive.flushAppends(); // appends of this turn, not failed by the closed database a turn later
    this.db.close();
  }
}
