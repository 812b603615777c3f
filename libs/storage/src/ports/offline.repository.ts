export interface OfflineMessage {
  seq: number; // increasing per owner: delivery order
  owner: string; // bare JID
  xml: string;
  storedAt: Date;
}

export interface OfflineRepository {
  /** Stores and returns the sequence number; throws StorageLimitError past `maxPerUser`. */
  push(owner: string, xml: string, maxPerUser: number): Promise<number>;
  /** Oldest first. Messages stay until `remove` is called for them (delivered once, then removed). */
  list(owner: string, limit?: number): Promise<OfflineMessage[]>;
  remove(owner: string, seqs: number[]): Promise<void>;
  count(owner: string): Promise<number>;
  deleteAll(owner: string): Promise<void>;
}
