/** SCRAM credentials for one hash function (RFC 5802 §3): never the password itself. */
export interface ScramCredential {
  salt: string; // base64
  iterations: number;
  storedKey: string; // base64
  serverKey: string; // base64
}

export interface Account {
  /** Local part, already PRECIS-normalised (UsernameCaseMapped). */
  username: string;
  domain: string;
  scram: { 'SHA-1': ScramCredential; 'SHA-256': ScramCredential };
  createdAt: Date;
  disabled: boolean;
}

export interface AccountsRepository {
  create(account: Account): Promise<void>; // throws StorageConflictError if it exists
  /** Throws StorageRecordError when the record exists but cannot be read. */
  get(username: string, domain: string): Promise<Account | undefined>;
  setCredentials(username: string, domain: string, scram: Account['scram']): Promise<boolean>;
  /** Sets the flag that refuses logins (RFC 6120 §6.5.1 account-disabled); false when there is no such account. */
  setDisabled(username: string, domain: string, disabled: boolean): Promise<boolean>;
  delete(username: string, domain: string): Promise<boolean>;
  /** Ordered by username, those after `after`; `limit` defaults to 100. Unreadable records are skipped. */
  list(domain: string, opts?: { after?: string; limit?: number }): Promise<Account[]>;
  count(domain: string): Promise<number>;
}
