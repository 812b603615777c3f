import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { normalizeUsername, type TokenBackend, type TokenVerdict } from '#libs/auth';
import type { OidcConfig } from '#libs/config';
import type { Logger } from '#libs/telemetry';

/**
 * Checks OpenID Connect access tokens (JWTs, RFC 9068 profile) for one XMPP domain: signature
 * against the provider's JWKS (fetched with `jose`, cached `jwksCacheMaxAgeMs`, refetched on an
 * unknown `kid` at most every `jwksCooldownMs`), `iss` = issuer, `aud` ∋ audience, exp/nbf within
 * `clockSkewSec`, `scope` ∋ requiredScope, and the user from `usernameClaim` (a local part, or a
 * bare JID of this domain). The JWKS URL comes from the discovery document
 * (OpenID Connect Discovery 1.0 §4) unless `jwksUri` is set.
 */
export class OidcVerifier implements TokenBackend {
  readonly openidConfiguration: string;
  readonly scope?: string;
  private keys?: Promise<ReturnType<typeof createRemoteJWKSet>>;

  constructor(
    private readonly cfg: OidcConfig,
    private readonly domain: string,
    private readonly log: Logger,
  ) {
    this.openidConfiguration = `${cfg.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    if (cfg.requiredScope) this.scope = cfg.requiredScope;
  }

  async verify(token: string): Promise<TokenVerdict> {
    let jwks: ReturnType<typeof createRemoteJWKSet>;
    try {
      jwks = await this.jwks();
    } catch (err) {
      this.keys = undefined; // try discovery again at the next login
      this.log.warn({ err: (err as Error).message }, 'OIDC discovery failed');
      return { kind: 'unavailable', reason: (err as Error).message };
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: this.cfg.issuer,
        audience: this.cfg.audience,
        clockTolerance: this.cfg.clockSkewSec,
        algorithms: this.cfg.algorithms,
      }));
    } catch (err) {
      return this.refusal(err as Error);
    }
    if (this.cfg.requiredScope && !(typeof payload.scope === 'string' ? payload.scope : '').split(' ').includes(this.cfg.requiredScope)) {
      return { kind: 'invalid', reason: `token lacks scope ${this.cfg.requiredScope}` };
    }
    const claim = payload[this.cfg.usernameClaim];
    if (typeof claim !== 'string' || claim === '') return { kind: 'invalid', reason: `token has no ${this.cfg.usernameClaim} claim` };
    let local = claim;
    const at = claim.lastIndexOf('@');
    if (at >= 0) {
      if (claim.slice(at + 1).toLowerCase() !== this.domain) return { kind: 'invalid', reason: `token names a user of another domain` };
      local = claim.slice(0, at);
    }
    const username = normalizeUsername(local);
    if (!username) return { kind: 'invalid', reason: `${this.cfg.usernameClaim} is not a valid XMPP local part` };
    return { kind: 'valid', username };
  }

  private refusal(err: Error): TokenVerdict {
    if (err instanceof errors.JWTExpired) return { kind: 'expired' };
    // The keys could not be fetched (timeout, refused connection, non-200 answer, a JWKS that is not one): not the token's fault.
    if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError) || err.code === 'ERR_JOSE_GENERIC') {
      this.log.warn({ err: err.message }, 'OIDC JWKS fetch failed');
      return { kind: 'unavailable', reason: err.message };
    }
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey)
      return { kind: 'invalid', reason: 'token signature invalid' };
    if (err instanceof errors.JWTClaimValidationFailed) return { kind: 'invalid', reason: `token ${err.claim} claim invalid` };
    if (err instanceof errors.JOSEAlgNotAllowed) return { kind: 'invalid', reason: 'token algorithm not allowed' };
    if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return { kind: 'invalid', reason: 'token malformed' };
    return { kind: 'invalid', reason: `token refused (${err.code})` };
  }

  private jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.keys ??= (async () => {
      const uri = this.cfg.jwksUri ?? (await this.discover());
      return createRemoteJWKSet(new URL(uri), {
        timeoutDuration: this.cfg.fetchTimeoutMs,
        cacheMaxAge: this.cfg.jwksCacheMaxAgeMs,
        cooldownDuration: this.cfg.jwksCooldownMs,
      });
    })();
    return this.keys;
  }

  private async discover(): Promise<string> {
    const res = await fetch(this.openidConfiguration, { signal: AbortSignal.timeout(this.cfg.fetchTimeoutMs) });
    if (!res.ok) throw new Error(`${this.openidConfiguration}: HTTP ${res.status}`);
    const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
    // Discovery §4.3: the document's issuer must be the one configured.
    if (doc.issuer !== this.cfg.issuer) throw new Error(`discovery issuer ${String(doc.issuer)} is not ${this.cfg.issuer}`);
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery document has no jwks_uri');
    return doc.jwks_uri;
  }
}
