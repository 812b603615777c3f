import { after, describe } from 'node:test';
import { accountsContract } from './accounts.contract.js';
import { blocklistContract } from './blocklist.contract.js';
import { fastTokensContract } from './fast-tokens.contract.js';
import { invitesContract } from './invites.contract.js';
import { archiveContract } from './archive.contract.js';
import type { MakeStorage } from './contract.types.js';
import { durabilityContract } from './durability.contract.js';
import { lastActivityContract } from './last-activity.contract.js';
import { offlineContract } from './offline.contract.js';
import { privateXmlContract } from './private-xml.contract.js';
import { pushContract } from './push.contract.js';
import { pubsubContract } from './pubsub.contract.js';
import { rostersContract } from './rosters.contract.js';
import { uploadsContract } from './uploads.contract.js';
import { vcardsContract } from './vcards.contract.js';
import { mucRoomsContract } from './muc-rooms.contract.js';

export type { CorruptKeys, MakeStorage, TestStorage } from './contract.types.js';
export {
  accountsContract,
  blocklistContract,
  fastTokensContract,
  invitesContract,
  archiveContract,
  durabilityContract,
  lastActivityContract,
  offlineContract,
  privateXmlContract,
  pushContract,
  pubsubContract,
  rostersContract,
  uploadsContract,
  vcardsContract,
  mucRoomsContract,
};

/**
 * Every repository contract against one backend. Test-only (imports node:test): backends import it
 * from their spec, never from production code; it is not part of `#libs/storage`.
 */
export function runStorageContract(name: string, makeStorage: MakeStorage, cleanup: () => Promise<void>): void {
  describe(`storage contract: ${name}`, () => {
    after(cleanup);
    accountsContract(makeStorage);
    rostersContract(makeStorage);
    offlineContract(makeStorage);
    vcardsContract(makeStorage);
    privateXmlContract(makeStorage);
    lastActivityContract(makeStorage);
    uploadsContract(makeStorage);
    blocklistContract(makeStorage);
    archiveContract(makeStorage);
    pushContract(makeStorage);
    pubsubContract(makeStorage);
    fastTokensContract(makeStorage);
    invitesContract(makeStorage);
    mucRoomsContract(makeStorage);
    durabilityContract(makeStorage);
  });
}
