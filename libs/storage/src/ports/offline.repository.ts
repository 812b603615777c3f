export interface OfflineMessage {
  seq: number; // increasing per owner: delivery order
  owner: string; // bare JID
  xml: string;
  storedAt: Date;
}

/** What one owner may keep offline: messages, and the UTF-8 bytes of their XML together. */
export interface OfflineQuota {
  messages: number;
  bytes: number;
}

/** A bare number is a message quota with no byte quota (the older call form). */
export function offlineQuotaOf(quota: number | OfflineQuota): OfflineQuota {
  return typeof quota === 'number' ? { messages: quota, bytes: Number.POSITIVE_INFINITY } : quota;
}

export interface OfflineRepository {
  /**
   * Stores and returns the sequence number; throws StorageLimitError when the owner's live messages
   * would then exceed `quota` (in messages or in bytes), also with routers pushing concurrently.
   */
  push(owner: string, xml: string, quota: number | OfflineQuota): Promise<number>;
  /** Oldest first. Messages stay until `remove` is called for them (delivered once, then removed). */
  list(owner: string, limit?: number): Promise<OfflineMessage[]>;
  remove(owner: string, seqs: number[]): Promise<void>;
  count(owner: string): Promise<number>;
  deleteAll(owner: string): Promise<void>;
}
