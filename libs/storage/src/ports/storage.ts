import type { BlocklistRepository } from './blocklist.repository.js';
import type { ArchiveRepository } from './archive.repository.js';
import type { AccountsRepository } from './accounts.repository.js';
import type { LastActivityRepository } from './last-activity.repository.js';
import type { OfflineRepository } from './offline.repository.js';
import type { PushRepository } from './push.repository.js';
import type { PubSubRepository } from './pubsub.repository.js';
import type { PrivateXmlRepository } from './private-xml.repository.js';
import type { RostersRepository } from './rosters.repository.js';
import type { UploadsRepository } from './uploads.repository.js';
import type { VcardsRepository } from './vcards.repository.js';
import type { FastTokensRepository } from './fast-tokens.repository.js';
import type { InvitesRepository } from './invites.repository.js';
import type { MucRoomsRepository } from './muc-rooms.repository.js';

/** Every repository a deployment has, from one backend (embedded or MongoDB). */
export interface Storage {
  readonly accounts: AccountsRepository;
  readonly rosters: RostersRepository;
  readonly offline: OfflineRepository;
  readonly vcards: VcardsRepository;
  readonly privateXml: PrivateXmlRepository;
  readonly lastActivity: LastActivityRepository;
  /** XEP-0363 files (media-relay). */
  readonly uploads: UploadsRepository;
  /** XEP-0191 blocked JIDs per account. */
  readonly blocklist: BlocklistRepository;
  /** XEP-0313 message archives (users now, MUC rooms later). */
  readonly archive: ArchiveRepository;
  /** XEP-0357 push registrations per account. */
  readonly push: PushRepository;
  /** XEP-0060 / XEP-0163 PubSub nodes and items (PEP on every account, pubsub.<domain>). */
  readonly pubsub: PubSubRepository;
  /** XEP-0484 FAST tokens per account and client (stored hashed). */
  readonly fastTokens: FastTokensRepository;
  readonly invites: InvitesRepository;
  /** XEP-0045 rooms: configuration, affiliations, subject (apps/muc). */
  readonly mucRooms: MucRoomsRepository;
  /** Ensures schema and indexes; resolves when the store is usable. */
  open(): Promise<void>;
  /** For `/healthz/ready`: undefined when healthy, else why not. */
  health(): Promise<string | undefined>;
  close(): Promise<void>;
}
