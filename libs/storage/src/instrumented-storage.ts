import { counterFamily, histogramFamily, type BoundCounter, type BoundHistogram } from '#libs/telemetry';
import type { BlocklistRepository } from './ports/blocklist.repository.js';
import type { ArchiveRepository } from './ports/archive.repository.js';
import type { AccountsRepository } from './ports/accounts.repository.js';
import { StorageConflictError, StorageLimitError, StorageRecordError, StorageUnavailableError } from './ports/errors.js';
import type { LastActivityRepository } from './ports/last-activity.repository.js';
import type { OfflineRepository } from './ports/offline.repository.js';
import type { PushRepository } from './ports/push.repository.js';
import type { PubSubRepository } from './ports/pubsub.repository.js';
import type { PrivateXmlRepository } from './ports/private-xml.repository.js';
import type { RostersRepository } from './ports/rosters.repository.js';
import type { Storage } from './ports/storage.js';
import type { VcardsRepository } from './ports/vcards.repository.js';
import type { FastTokensRepository } from './ports/fast-tokens.repository.js';
import type { InvitesRepository } from './ports/invites.repository.js';
import type { MucRoomsRepository } from './ports/muc-rooms.repository.js';

/**
 * Every repository method a port declares (a Record over its keys: a method added to a port and
 * not listed here is a compile error, so no operation goes unmeasured).
 */
const OPERATIONS: { [R in keyof RepositoryPorts]: Record<keyof RepositoryPorts[R], true> } = {
  accounts: { create: true, get: true, setCredentials: true, setDisabled: true, delete: true, list: true, count: true },
  rosters: { get: true, getItem: true, modify: true, changesSince: true, deleteAll: true },
  offline: { push: true, list: true, remove: true, count: true, deleteAll: true },
  vcards: { get: true, set: true, delete: true },
  privateXml: { get: true, set: true, deleteAll: true },
  lastActivity: { get: true, set: true, delete: true },
  blocklist: { list: true, add: true, remove: true, deleteAll: true },
  archive: { append: true, query: true, bounds: true, getPrefs: true, setPrefs: true, deleteAll: true, deleteOlderThan: true, replaceXml: true },
  push: { list: true, enable: true, disable: true, deleteAll: true },
  pubsub: { node: true, nodes: true, modifyNode: true, deleteNode: true, publish: true, items: true, retract: true, purge: true, deleteService: true },
  fastTokens: { get: true, issue: true, use: true, revoke: true, list: true, deleteAll: true },
  invites: { create: true, get: true, use: true, release: true, list: true, revoke: true, deleteByInviter: true },
  mucRooms: { get: true, create: true, put: true, delete: true, list: true, countOwnedBy: true },
};

interface RepositoryPorts {
  accounts: AccountsRepository;
  rosters: RostersRepository;
  offline: OfflineRepository;
  vcards: VcardsRepository;
  privateXml: PrivateXmlRepository;
  lastActivity: LastActivityRepository;
  blocklist: BlocklistRepository;
  archive: ArchiveRepository;
  push: PushRepository;
  pubsub: PubSubRepository;
  fastTokens: FastTokensRepository;
  invites: InvitesRepository;
  mucRooms: MucRoomsRepository;
}

/** What the caller asked for that the store refused as the port says it may: not a failure of the store. */
function isExpectedRefusal(err: unknown): boolean {
  return err instanceof StorageLimitError || err instanceof StorageConflictError;
}

const duration = histogramFamily(
  'glider_storage_operation_duration_seconds',
  'Storage repository calls by operation (repository.method) and backend, failed ones included',
  'seconds',
);
const failures = counterFamily(
  'glider_storage_operation_errors_total',
  'Storage repository calls that failed, by operation, backend and error (unavailable, record, other)',
);

/**
 * Times every repository call of `storage` in place (the same object and repositories, their
 * methods wrapped on the instance), with each operation's labels bound once here.
 */
export function instrumentStorage<S extends Storage>(storage: S, backend: string): S {
  for (const repo of Object.keys(OPERATIONS) as (keyof RepositoryPorts)[]) {
    const target = storage[repo] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const method of Object.keys(OPERATIONS[repo])) {
      const original = target[method];
      if (typeof original !== 'function') continue;
      const operation = `${repo}.${method}`;
      const timer = duration.bind({ operation, backend });
      const errors = {
        unavailable: failures.bind({ operation, backend, error: 'unavailable' }),
        record: failures.bind({ operation, backend, error: 'record' }),
        other: failures.bind({ operation, backend, error: 'other' }),
      };
      target[method] = wrap(original.bind(target), timer, errors);
    }
  }
  return storage;
}

function wrap(
  call: (...args: unknown[]) => Promise<unknown>,
  timer: BoundHistogram,
  errors: { unavailable: BoundCounter; record: BoundCounter; other: BoundCounter },
): (...args: unknown[]) => Promise<unknown> {
  return async (...args) => {
    const started = performance.now();
    try {
      return await call(...args);
    } catch (err) {
      if (!isExpectedRefusal(err)) {
        if (err instanceof StorageUnavailableError) errors.unavailable.add();
        else if (err instanceof StorageRecordError) errors.record.add();
        else errors.other.add();
      }
      throw err;
    } finally {
      timer.since(started);
    }
  };
}
