import { MongoClient, MongoServerError, type TopologyDescriptionChangedEvent } from 'mongodb';
import type { Logger } from '#libs/telemetry';
import { StorageUnavailableError } from '../ports/errors.js';
import type { Storage } from '../ports/storage.js';
import { ARCHIVE_INDEXES, MongoArchiveRepository } from './mongo-archive.repository.js';
import { ACCOUNTS_INDEXES, MongoAccountsRepository } from './mongo-accounts.repository.js';
import { BLOCKLIST_INDEXES, MongoBlocklistRepository } from './mongo-blocklist.repository.js';
import type { CollectionIndexes, MongoContext } from './mongo-context.js';
import { LAST_ACTIVITY_INDEXES, MongoLastActivityRepository } from './mongo-last-activity.repository.js';
import { MongoOfflineRepository, OFFLINE_INDEXES } from './mongo-offline.repository.js';
import { MongoPubSubRepository, PUBSUB_INDEXES } from './mongo-pubsub.repository.js';
import { MongoPrivateXmlRepository, PRIVATE_XML_INDEXES } from './mongo-private-xml.repository.js';
import { MongoPushRepository, PUSH_INDEXES } from './mongo-push.repository.js';
import { MongoRetry } from './mongo-retry.js';
import { MongoRostersRepository, ROSTERS_INDEXES } from './mongo-rosters.repository.js';
import type { MongoSettings } from './mongo-settings.js';
import { MongoUploadsRepository, UPLOADS_INDEXES } from './mongo-uploads.repository.js';
import { MongoVcardsRepository, VCARDS_INDEXES } from './mongo-vcards.repository.js';
import { FAST_TOKENS_INDEXES, MongoFastTokensRepository } from './mongo-fast-tokens.repository.js';
import { INVITES_INDEXES, MongoInvitesRepository } from './mongo-invites.repository.js';
import { MongoMucRoomsRepository, MUC_ROOMS_INDEXES } from './mongo-muc-rooms.repository.js';

const ALL_INDEXES: CollectionIndexes[] = [
  ACCOUNTS_INDEXES,
  ...ROSTERS_INDEXES,
  ...OFFLINE_INDEXES,
  VCARDS_INDEXES,
  PRIVATE_XML_INDEXES,
  LAST_ACTIVITY_INDEXES,
  ...UPLOADS_INDEXES,
  BLOCKLIST_INDEXES,
  ...ARCHIVE_INDEXES,
  PUSH_INDEXES,
  ...PUBSUB_INDEXES,
  FAST_TOKENS_INDEXES,
  ...INVITES_INDEXES,
  MUC_ROOMS_INDEXES,
];

/** Server types that take writes; a replica set with only secondaries is not ready. */
const WRITABLE = new Set<string>(['Standalone', 'RSPrimary', 'Mongos', 'LoadBalancer']);

/**
 * Every repository on one MongoDB database (MongoDB itself, or a wire-compatible server such as
 * FerretDB). `open()` fails with the reason while the server is unreachable and may be called
 * again; `health()` follows the driver's view of the server, so readiness comes back by itself.
 */
export class MongoStorage implements Storage {
  readonly accounts: MongoAccountsRepository;
  readonly rosters: MongoRostersRepository;
  readonly offline: MongoOfflineRepository;
  readonly vcards: MongoVcardsRepository;
  readonly privateXml: MongoPrivateXmlRepository;
  readonly lastActivity: MongoLastActivityRepository;
  readonly uploads: MongoUploadsRepository;
  readonly blocklist: MongoBlocklistRepository;
  readonly fastTokens: MongoFastTokensRepository;
  readonly invites: MongoInvitesRepository;
  readonly archive: MongoArchiveRepository;
  readonly push: MongoPushRepository;
  readonly pubsub: MongoPubSubRepository;
  readonly mucRooms: MongoMucRoomsRepository;

  private readonly client: MongoClient;
  private opened = false;
  private closed = false;
  private problem: string | undefined = 'not opened yet';

  constructor(
    private readonly settings: MongoSettings,
    private readonly logger: Logger,
  ) {
    this.client = new MongoClient(settings.url, settings.clientOptions);
    this.client.on('topologyDescriptionChanged', (e) => this.onTopology(e));
    const ctx: MongoContext = {
      db: this.client.db(settings.database),
      retry: new MongoRetry(settings.operationTimeoutMs, logger, () => this.closed),
      logger,
      operationTimeoutMs: settings.operationTimeoutMs,
    };
    this.accounts = new MongoAccountsRepository(ctx);
    this.rosters = new MongoRostersRepository(ctx);
    this.offline = new MongoOfflineRepository(ctx);
    this.vcards = new MongoVcardsRepository(ctx);
    this.privateXml = new MongoPrivateXmlRepository(ctx);
    this.lastActivity = new MongoLastActivityRepository(ctx);
    this.uploads = new MongoUploadsRepository(ctx);
    this.blocklist = new MongoBlocklistRepository(ctx);
    this.fastTokens = new MongoFastTokensRepository(ctx);
    this.invites = new MongoInvitesRepository(ctx);
    this.archive = new MongoArchiveRepository(ctx);
    this.push = new MongoPushRepository(ctx);
    this.pubsub = new MongoPubSubRepository(ctx);
    this.mucRooms = new MongoMucRoomsRepository(ctx);
  }

  async open(): Promise<void> {
    if (this.closed) throw new StorageUnavailableError('MongoDB storage is closed');
    if (this.opened) return;
    try {
      await this.client.connect();
      await this.ensureIndexes();
    } catch (err) {
      this.problem = `MongoDB ${this.settings.hosts} ${whyNot(err)}`;
      // the caller (the runtime) logs the reason and retries
      this.logger.debug({ hosts: this.settings.hosts, err: (err as Error).message }, 'MongoDB not usable yet');
      throw new StorageUnavailableError(this.problem, { cause: err });
    }
    this.opened = true;
    this.problem = undefined;
    this.logger.info({ hosts: this.settings.hosts, database: this.settings.database }, 'MongoDB storage open');
  }

  async health(): Promise<string | undefined> {
    if (this.closed) return 'MongoDB storage is closed';
    if (!this.opened) return this.problem ?? 'not opened yet';
    return this.problem;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.close();
  }

  private async ensureIndexes(): Promise<void> {
    const db = this.client.db(this.settings.database);
    for (const { collection, indexes } of ALL_INDEXES) {
      if (indexes.length === 0) continue;
      // One index per call: FerretDB 1.x drops the connection when one createIndexes call re-creates
      // several indexes, one of them over an array field, on a collection that has documents.
      for (const index of indexes) {
        try {
          await db.collection(collection).createIndexes([index]);
        } catch (err) {
          throw new IndexError(`cannot create indexes on ${collection}: ${(err as Error).message}`, { cause: err });
        }
      }
    }
  }

  /** The driver's heartbeats tell when the server goes away or comes back; readiness follows. */
  private onTopology(e: TopologyDescriptionChangedEvent): void {
    if (!this.opened || this.closed) return;
    const servers = [...e.newDescription.servers.values()];
    const up = servers.some((s) => WRITABLE.has(s.type));
    const was = this.problem;
    if (up) {
      this.problem = undefined;
      if (was) this.logger.info({ hosts: this.settings.hosts }, 'MongoDB reachable again');
      return;
    }
    const reason = servers.find((s) => s.error)?.error?.message ?? 'no server answers';
    this.problem = `MongoDB ${this.settings.hosts} unreachable: ${reason}`;
    if (!was) this.logger.warn({ hosts: this.settings.hosts, err: reason }, 'MongoDB unreachable; unready');
  }
}

class IndexError extends Error {}

/** Why `open()` failed, in words an operator acts on. */
function whyNot(err: unknown): string {
  const message = (err as Error).message;
  if (err instanceof IndexError) return message;
  if (err instanceof MongoServerError && err.code === 18) {
    return `refused the credentials (storage.mongodb.credentialsFile or the url): ${message}`;
  }
  if (err instanceof MongoServerError && err.code === 13) {
    return `requires credentials (set storage.mongodb.credentialsFile): ${message}`;
  }
  return `unreachable: ${message}`;
}
