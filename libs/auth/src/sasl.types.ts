import type { Account } from '#libs/storage';
import type { PasswordBackend } from './password-backend.js';

/** RFC 6120 §6.5 SASL failure conditions. */
export type SaslFailureCondition =
  | 'aborted'
  | 'account-disabled'
  | 'credentials-expired'
  | 'encryption-required'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'mechanism-too-weak'
  | 'not-authorized'
  | 'temporary-auth-failure';

/** RFC 9266 and RFC 5929 channel-binding types (XEP-0440 names them in stream features). */
export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point';

export interface ChannelBinding {
  type: ChannelBindingType;
  data: Buffer;
}

export type SaslStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; data?: Buffer; username: string }
  | { kind: 'failure'; condition: SaslFailureCondition; text?: string };

/** One authentication exchange; the first call gets the initial response (may be empty). */
export interface SaslMechanism {
  step(input: Buffer): Promise<SaslStep>;
}

export interface SaslContext {
  domain: string;
  /** Looks an account up by its normalised local part. */
  lookup(username: string): Promise<Account | undefined>;
  /** Channel bindings the TLS connection offers; undefined when the channel cannot bind. */
  channelBindings?: Partial<Record<ChannelBindingType, Buffer>>;
  /** Whether -PLUS mechanisms were advertised, for the downgrade check of SCRAM's gs2 'y' flag. */
  plusAdvertised: boolean;
  /**
   * Set for a domain whose passwords another source checks (a directory): PLAIN asks it instead of
   * the stored SCRAM key, after `lookup` (which gates the attempt and reports a local account).
   */
  passwords?: PasswordBackend;
}

export type SaslMechanismName = 'SCRAM-SHA-1' | 'SCRAM-SHA-256' | 'SCRAM-SHA-1-PLUS' | 'SCRAM-SHA-256-PLUS' | 'PLAIN';

export function failure(condition: SaslFailureCondition, text?: string): SaslStep {
  return text === undefined ? { kind: 'failure', condition } : { kind: 'failure', condition, text };
}
