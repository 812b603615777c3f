/** The record exists already (account create, say). */
export class StorageConflictError extends Error {
  override readonly name = 'StorageConflictError';
}

/** A per-user quota was reached (offline messages, say): the caller bounces, never drops. */
export class StorageLimitError extends Error {
  override readonly name = 'StorageLimitError';
}

/** The store cannot be reached: callers retry or bounce, and report unready. */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
}

/** One record cannot be read (written by a newer schema, or corrupted): the rest keeps working. */
export class StorageRecordError extends Error {
  override readonly name = 'StorageRecordError';
}
