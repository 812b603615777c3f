/**
 * Where a domain's bearer tokens are checked (SASL OAUTHBEARER, RFC 7628): an OpenID Connect
 * provider's access tokens (libs/directory OidcVerifier). Verdicts map to RFC 6120 §6.5 conditions:
 * invalid → not-authorized (bad signature, wrong issuer/audience/scope, no user claim), expired →
 * credentials-expired, unavailable → temporary-auth-failure (the keys could not be fetched).
 */
export type TokenVerdict =
  { kind: 'valid'; username: string } | { kind: 'invalid'; reason: string } | { kind: 'expired' } | { kind: 'unavailable'; reason: string };

export interface TokenBackend {
  /** The provider's discovery document URL, sent in the RFC 7628 §3.2.2 error so a client can get a new token. */
  readonly openidConfiguration: string;
  /** Scope a token must carry (sent in the error too), if any. */
  readonly scope?: string;
  /** `token` is the bearer token as sent; a valid one names the PRECIS-normalised local part. Never logged. */
  verify(token: string): Promise<TokenVerdict>;
}
