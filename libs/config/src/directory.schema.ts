import { z } from 'zod';

/**
 * `directory`: sign-on against a company directory (issue 15, docs/directory.md, libs/directory).
 * Keyed by XMPP domain; a domain without an entry keeps its local accounts (SCRAM). Its own file so
 * other branches' config additions never touch these lines.
 */
const ms = z.number().int().min(0);

/** An LDAP filter; `{username}` is replaced by the RFC 4515-escaped local part. */
const filter = z
  .string()
  .min(3)
  .regex(/^\(.*\)$/s, 'an LDAP filter in parentheses, e.g. (uid={username})');

export const ldapTlsSchema = z.strictObject({
  /** PEM file of the CA(s) the directory's certificate must chain to; default: the system's. Never skipped. */
  caFile: z.string().min(1).optional(),
  /** Name checked against the directory's certificate; default: the URL's host. */
  serverName: z.string().min(1).optional(),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

export const ldapSchema = z
  .strictObject({
    /** ldaps://host:636 (TLS from the first byte) or ldap://host:389 with startTls. */
    url: z.string().regex(/^ldaps?:\/\/[^/\s]+\/?$/, 'ldap://host[:port] or ldaps://host[:port]'),
    /** RFC 4513 §3 StartTLS on an ldap:// URL. Plain LDAP is refused: passwords cross this link. */
    startTls: z.boolean().default(false),
    tls: ldapTlsSchema.default(ldapTlsSchema.parse({})),
    /**
     * Service account for search-then-bind: its DN and a file holding its password (a mounted
     * Secret; one line). Without it the search runs anonymously (if `userBase` is set).
     */
    bindDn: z.string().min(1).optional(),
    bindPasswordFile: z.string().min(1).optional(),
    /** Direct bind: the user's DN from a pattern, e.g. uid={username},ou=people,dc=example,dc=com (RFC 4514-escaped). */
    userDnPattern: z.string().includes('{username}').optional(),
    /** Search-then-bind: where users are and the filter that finds one, e.g. (uid={username}). */
    userBase: z.string().min(1).optional(),
    userFilter: filter.default('(uid={username})'),
    /**
     * Who may log in, read on the user's entry after the password is checked (e.g.
     * (memberOf=cn=xmpp,ou=groups,dc=example,dc=com)); others get not-authorized.
     */
    loginFilter: filter.optional(),
    /**
     * Entries matching this are disabled (RFC 6120 §6.5.1 account-disabled, told only after the
     * right password), e.g. AD (userAccountControl:1.2.840.113556.1.4.803:=2).
     */
    disabledFilter: filter.optional(),
    /** Connections kept open to the directory (each does one operation at a time). */
    poolSize: z.number().int().min(1).max(100).default(4),
    /** A login waits at most this long for a free connection; then temporary-auth-failure. */
    acquireTimeoutMs: ms.min(1).default(5_000),
    connectTimeoutMs: ms.min(1).default(5_000),
    /** One LDAP operation (bind, search) may take this long; then the directory counts as down. */
    operationTimeoutMs: ms.min(1).default(5_000),
    /** After a failure to reach the directory, readiness reports it until a login or probe succeeds; probe interval. */
    probeIntervalMs: ms.min(100).default(10_000),
  })
  .refine((l) => (l.userDnPattern === undefined) !== (l.userBase === undefined), {
    error: 'set exactly one of userDnPattern (direct bind) and userBase (search-then-bind)',
  })
  .refine((l) => (l.bindDn === undefined) === (l.bindPasswordFile === undefined), {
    error: 'bindDn and bindPasswordFile go together',
  })
  .refine((l) => l.url.startsWith('ldaps://') || l.startTls, {
    error: 'passwords must not cross plain LDAP: use ldaps:// or startTls: true',
  })
  .refine((l) => !(l.url.startsWith('ldaps://') && l.startTls), { error: 'startTls is for ldap:// URLs; ldaps:// is TLS already' });

export const directoryDomainSchema = z.strictObject({
  /** LDAP / Active Directory sign-on for this domain: SASL PLAIN (inside TLS) checked by a bind. */
  ldap: ldapSchema,
});

export const directorySchema = z.strictObject({
  /** Keyed by XMPP domain (one of `domains`). */
  domains: z.record(z.string().min(1), directoryDomainSchema).default({}),
});

export type DirectoryConfig = z.infer<typeof directorySchema>;
export type LdapConfig = z.infer<typeof ldapSchema>;
