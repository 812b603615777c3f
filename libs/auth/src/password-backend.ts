/**
 * Where a domain's passwords are checked when they are not the stored SCRAM keys: a directory
 * (LDAP / Active Directory, libs/directory) or, later, another identity source. Only mechanisms
 * that carry the password itself (PLAIN, inside TLS) can use one; the edge offers those alone for
 * such a domain.
 *
 * Verdicts map to RFC 6120 §6.5 conditions: invalid → not-authorized (wrong password and unknown
 * user alike), disabled → account-disabled (only ever after the right password), expired →
 * credentials-expired, unavailable → temporary-auth-failure (the source could not be asked).
 */
export type PasswordVerdict = { kind: 'valid' } | { kind: 'invalid' } | { kind: 'disabled' } | { kind: 'expired' } | { kind: 'unavailable'; reason: string };

export interface PasswordBackend {
  /** Mechanisms a client may use for this domain (those that see the password). */
  readonly mechanisms: readonly 'PLAIN'[];
  /** `username` is the PRECIS-normalised local part; the password is never logged. */
  verify(username: string, password: string): Promise<PasswordVerdict>;
}
