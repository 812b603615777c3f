import { z } from 'zod';

/**
 * Directory sign-on, single sign-on and invitations in the XmppCluster spec (issue 15,
 * docs/directory.md, docs/kubernetes.md). The keys are libs/config's (`directory`, `sso`, `invites`:
 * libs/config/src/directory.schema.ts, sso.schema.ts, invites.schema.ts) so one page documents both,
 * except that files become Secret references: the operator mounts them and writes only their paths
 * into the config (desired/sign-on-config.ts), so no password ever lands in the ConfigMap. A key
 * left out takes the config's default; the config's own checks run on the result too (the
 * InvalidConfig condition).
 */
const cel = (rule: string, message: string) => ({ rule, message });
const secretKeyRef = z.strictObject({
  name: z.string().min(1).max(253).describe('Secret in the XmppCluster namespace.'),
  key: z.string().min(1).max(253).describe('Key in the Secret.'),
});
const text = (max = 1024) => z.string().min(1).max(max);
const ms = (min: number) => z.number().int().min(min).max(3_600_000);
/** An LDAP filter in parentheses; `{username}` is replaced by the escaped local part. */
const filter = z
  .string()
  .min(3)
  .max(1024)
  .regex(/^\(.*\)$/)
  .describe('An LDAP filter in parentheses, e.g. (uid={username}).');
/** Per-domain maps are bounded: the API server's CEL cost estimate multiplies by their size. */
const byDomain = <T extends z.ZodType>(v: T) =>
  z.record(z.string().min(1).max(253), v).meta({ maxProperties: 100 }).describe('Keyed by XMPP domain (one of spec.domains).');

export const ldapSpec = z
  .strictObject({
    url: z
      .string()
      .max(512)
      .regex(/^ldaps?:\/\/[^/\s]+\/?$/)
      .describe('ldaps://host:636, or ldap://host:389 with startTls: true.'),
    startTls: z.boolean().optional().describe('RFC 4513 StartTLS on an ldap:// URL (plain LDAP is refused).'),
    tls: z
      .strictObject({
        caSecretRef: secretKeyRef.optional().describe("PEM of the CA(s) the directory's certificate must chain to; default: the system's."),
        serverName: text(253).optional().describe("Name checked against the directory's certificate; default: the URL's host."),
        minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).optional(),
      })
      .optional(),
    bindDn: text().optional().describe('Service account for search-then-bind (with bindPasswordSecretRef).'),
    bindPasswordSecretRef: secretKeyRef.optional().describe("The service account's password: mounted as a file, never in the ConfigMap."),
    userDnPattern: z
      .string()
      .max(1024)
      .regex(/\{username\}/)
      .optional()
      .describe('Direct bind: e.g. uid={username},ou=people,dc=example,dc=com.'),
    userBase: text().optional().describe('Search-then-bind: where users are.'),
    userFilter: filter.optional(),
    loginFilter: filter.optional().describe('Who may log in (read on the entry after the password).'),
    disabledFilter: filter.optional().describe('Entries matching it get account-disabled.'),
    poolSize: z.number().int().min(1).max(100).optional(),
    acquireTimeoutMs: ms(1).optional(),
    connectTimeoutMs: ms(1).optional(),
    operationTimeoutMs: ms(1).optional(),
    probeIntervalMs: ms(100).optional(),
  })
  .meta({
    'x-kubernetes-validations': [
      cel('has(self.userDnPattern) != has(self.userBase)', 'set exactly one of userDnPattern (direct bind) and userBase (search-then-bind)'),
      cel('has(self.bindDn) == has(self.bindPasswordSecretRef)', 'bindDn and bindPasswordSecretRef go together'),
      cel(
        "self.url.startsWith('ldaps://') != (has(self.startTls) && self.startTls)",
        'passwords must not cross plain LDAP: use ldaps://, or ldap:// with startTls: true (not both)',
      ),
    ],
  });

export const sharedRosterSpec = z.strictObject({
  groupBase: text(),
  groupFilter: filter.optional(),
  memberAttribute: text(128).optional(),
  memberIsDn: z.boolean().optional(),
  groupNameAttribute: text(128).optional(),
  refreshIntervalMs: ms(1_000).optional(),
  refreshTimeoutMs: ms(100).optional(),
  maxGroups: z.number().int().min(1).max(100_000).optional(),
  maxMembersPerGroup: z.number().int().min(1).max(1_000_000).optional(),
});

/** An LDAP attribute name (or OID), e.g. mail. */
const attribute = z
  .string()
  .max(128)
  .regex(/^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/);

/** XEP-0055 search over the directory (config directory.domains.<d>.search; served with features.search). */
export const directorySearchSpec = z.strictObject({
  fields: z.record(z.string().min(1).max(64), attribute).meta({ maxProperties: 32 }).optional().describe('Form field var → LDAP attribute.'),
  usernameAttribute: attribute.optional(),
});

/** vCards from directory attributes (config directory.domains.<d>.vcard); read-only where they come from the directory. */
export const directoryVcardSpec = z.strictObject({
  attributes: z
    .strictObject(
      Object.fromEntries(
        ['fn', 'given', 'family', 'nickname', 'email', 'tel', 'org', 'orgUnit', 'title', 'role', 'photo'].map((f) => [f, attribute.optional()]),
      ),
    )
    .optional(),
  cacheTtlMs: ms(1_000).optional(),
  cacheMaxEntries: z.number().int().min(1).max(10_000_000).optional(),
  maxPhotoBytes: z
    .number()
    .int()
    .min(1)
    .max(16 * 1024 * 1024)
    .optional(),
});

export const directorySpec = z
  .strictObject({
    domains: byDomain(
      z.strictObject({
        ldap: ldapSpec,
        sharedRoster: sharedRosterSpec.optional(),
        search: directorySearchSpec.optional(),
        vcard: directoryVcardSpec.optional(),
        provisionOnLookup: z
          .boolean()
          .optional()
          .describe('A message to a directory user who never signed in makes their account record (default true; docs/directory.md).'),
      }),
    ),
  })
  .describe('LDAP / Active Directory sign-on and shared rosters per domain (config directory.*, docs/directory.md).');

export const ssoSpec = z
  .strictObject({
    domains: byDomain(
      z.strictObject({
        oidc: z.strictObject({
          issuer: z
            .string()
            .max(512)
            .regex(/^https?:\/\/[^\s]+$/)
            .describe("The provider's issuer URL (the token's iss)."),
          audience: text(512).describe("The token's aud must contain it."),
          jwksUri: z
            .string()
            .max(512)
            .regex(/^https?:\/\/[^\s]+$/)
            .optional(),
          usernameClaim: text(128).optional(),
          clockSkewSec: z.number().int().min(0).max(600).optional(),
          algorithms: z
            .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
            .min(1)
            .max(10)
            .optional(),
          requiredScope: text(128).optional(),
          jwksCacheMaxAgeMs: ms(1_000).optional(),
          jwksCooldownMs: ms(0).optional(),
          fetchTimeoutMs: ms(1).optional(),
          createAccounts: z.boolean().optional(),
        }),
      }),
    ),
  })
  .describe('Single sign-on: OpenID Connect access tokens over SASL OAUTHBEARER per domain (config sso.*).');

export const invitesSpec = z
  .strictObject({
    enabled: z.boolean().optional().describe('Registration with an invite token although open registration stays off (default false).'),
    defaultUses: z.number().int().min(1).max(10_000).optional(),
    maxUses: z.number().int().min(1).max(10_000).optional(),
    defaultExpirySec: z.number().int().min(60).optional(),
    minExpirySec: z.number().int().min(1).optional(),
    maxExpirySec: z.number().int().min(60).optional(),
    landingBaseUrl: z
      .string()
      .max(512)
      .regex(/^https?:\/\/[^\s]+$/)
      .optional()
      .describe("Base of the invitation link behind an ingress; default https://<domain>:5443 (the edge's WebSocket port)."),
  })
  .describe('Invitations, XEP-0401 / XEP-0445 / XEP-0379 (config invites.*).');

/** Spec-level rules: every domain a block names is served. */
export const signOnValidations = [
  cel('!has(self.directory) || self.directory.domains.all(d, d in self.domains)', 'directory.domains must name domains of spec.domains'),
  cel('!has(self.sso) || self.sso.domains.all(d, d in self.domains)', 'sso.domains must name domains of spec.domains'),
];
