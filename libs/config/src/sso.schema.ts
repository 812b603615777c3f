import { z } from 'zod';

/**
 * `sso`: single sign-on per domain (issue 15 §4, docs/directory.md, libs/directory oidc-verifier.ts).
 * A domain with `sso.domains.<domain>.oidc` also offers SASL OAUTHBEARER (RFC 7628): the client
 * presents an access token (a JWT) from the company's OpenID Connect provider. Its own file so other
 * branches' config additions never touch these lines.
 */
const ms = z.number().int().min(0);

export const oidcSchema = z.strictObject({
  /** The provider's issuer URL: the token's `iss` must equal it; its discovery document names the JWKS. */
  issuer: z.url(),
  /** The token's `aud` must contain this (the resource server name the provider gives Glider). */
  audience: z.string().min(1),
  /** JWKS URL; default: `jwks_uri` from `<issuer>/.well-known/openid-configuration`. */
  jwksUri: z.url().optional(),
  /** The claim holding the user: a local part, or a bare JID of this domain (e.g. preferred_username, email, sub). */
  usernameClaim: z.string().min(1).default('preferred_username'),
  /** Tolerated clock difference for exp/nbf/iat, in seconds. */
  clockSkewSec: z.number().int().min(0).max(600).default(30),
  /** Signature algorithms accepted (never `none`, never HMAC: the key is public). */
  algorithms: z
    .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
    .min(1)
    .default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  /** If set, the token's `scope` must include it (e.g. xmpp). */
  requiredScope: z.string().min(1).optional(),
  /** Fetched keys are kept this long before the JWKS is fetched again. */
  jwksCacheMaxAgeMs: ms.min(1_000).default(600_000),
  /** A token with an unknown `kid` refetches the JWKS at most once per this interval (key rotation). */
  jwksCooldownMs: ms.min(0).default(30_000),
  /** Discovery and JWKS requests time out after this; the login then fails temporary-auth-failure. */
  fetchTimeoutMs: ms.min(1).default(5_000),
  /** The first login of a user without a local account makes its record (like directory sign-on). Off = only existing accounts. */
  createAccounts: z.boolean().default(true),
});

export const ssoDomainSchema = z.strictObject({
  /** OpenID Connect access tokens over SASL OAUTHBEARER for this domain. */
  oidc: oidcSchema,
});

export const ssoSchema = z.strictObject({
  /** Keyed by XMPP domain (one of `domains`). */
  domains: z.record(z.string().min(1), ssoDomainSchema).default({}),
});
export type SsoConfig = z.infer<typeof ssoSchema>;
export type OidcConfig = z.infer<typeof oidcSchema>;
