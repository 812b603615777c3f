/**
 * The bus every app talks over. Two implementations, one contract (bus.contract.ts): NATS for
 * clusters, in-process for `standalone` and unit tests.
 *
 * Semantics both keep:
 * - messages published by one publisher on one subject reach each subscriber in publish order;
 * - a queue group delivers each message to exactly one member;
 * - request() resolves with the first reply, rejects with BusTimeoutError after timeoutMs, and with
 *   BusNoRespondersError at once when nobody subscribes to the subject;
 * - a handler that throws is logged; the subscription goes on.
 */
export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Present when the sender used request(). */
  respond(data: Uint8Array): void;
  readonly replyExpected: boolean;
}

export type BusHandler = (msg: BusMessage) => void | Promise<void>;

export interface BusSubscription {
  unsubscribe(): Promise<void>;
}

export interface SubscribeOptions {
  queue?: string;
}

export interface KvEntry {
  key: string;
  value: Uint8Array;
  revision: number;
  operation: 'PUT' | 'DEL' | 'PURGE';
}

export interface KvWatch {
  stop(): void;
}

/** A key-value bucket (NATS JetStream KV): keys use subject tokens, built by subjects.ts. */
export interface KvBucket {
  get(key: string): Promise<KvEntry | undefined>;
  put(key: string, value: Uint8Array): Promise<number>;
  /** Creates only if absent; rejects with KvConflictError otherwise. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Compare-and-set; rejects with KvConflictError when the revision moved on. */
  update(key: string, value: Uint8Array, revision: number): Promise<number>;
  /** With `revision`, deletes only if it is still current (KvConflictError otherwise). */
  delete(key: string, revision?: number): Promise<void>;
  /** Keys matching a filter with `*` and `>` wildcards. */
  keys(filter?: string): Promise<string[]>;
  /**
   * Whether an entry matching `filter` was written or deleted after `revision`: a watcher that has
   * seen every change up to `revision` holds all of that filter's entries when this says false (one
   * JetStream direct get, not a listing of the bucket's subjects).
   */
  changedSince(filter: string, revision: number): Promise<boolean>;
  /** Current values first (deletes are not replayed), then every change. */
  watch(onEntry: (entry: KvEntry) => void, filter?: string): Promise<KvWatch>;
  /**
   * Drops delete markers older than `olderThanMs` (JetStream keeps one per deleted key forever;
   * scans the whole bucket, so run it rarely and from one place). Returns how many it dropped.
   */
  purgeDeletes(olderThanMs: number): Promise<number>;
  /**
   * Removes every entry matching `filter` whose last write is at or before `revision`, leaving no
   * delete markers and telling no watcher (JetStream: one stream purge with a subject filter and a
   * sequence). One call instead of a delete per key: XEP-0198 trims a session's acknowledged
   * stanzas with it (libs/sessions ResumableStore.trim).
   */
  purgeUpTo(filter: string, revision: number): Promise<void>;
}

export interface KvOptions {
  /** Entries expire this long after their last put (0 = never). */
  ttlMs?: number;
  history?: number;
}

export interface Bus {
  publish(subject: string, data: Uint8Array): void;
  request(subject: string, data: Uint8Array, opts: { timeoutMs: number }): Promise<Uint8Array>;
  subscribe(subject: string, handler: BusHandler, opts?: SubscribeOptions): BusSubscription;
  kv(bucket: string, opts?: KvOptions): Promise<KvBucket>;
  /** Resolves when everything published so far has reached the server (NATS) or the handlers' queues. */
  flush(): Promise<void>;
  /** For readiness: undefined when connected, else why not. */
  health(): string | undefined;
  /** Requests sent and not yet answered (glider_bus_requests_in_flight). */
  requestsInFlight?(): number;
  /**
   * Calls `listener` each time the connection comes back after it was lost (never on the
   * in-process bus, which cannot lose it). Returns the function that removes the listener.
   */
  onReconnect(listener: () => void): () => void;
  /** performance.now() when the connection last came back after a loss; undefined if it never was lost. */
  lastReconnectAt(): number | undefined;
  close(): Promise<void>;
}

export class BusTimeoutError extends Error {
  override readonly name = 'BusTimeoutError';
}
export class BusNoRespondersError extends Error {
  override readonly name = 'BusNoRespondersError';
}
export class KvConflictError extends Error {
  override readonly name = 'KvConflictError';
}
