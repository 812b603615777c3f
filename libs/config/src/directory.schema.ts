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

/**
 * Shared rosters from directory groups (like ejabberd's mod_shared_roster_ldap): members of each
 * group found under `groupBase` by `groupFilter` see each other, grouped by the group's name,
 * subscription `both` implied. Read with the service account over the `ldap` connection pool.
 */
export const sharedRosterSchema = z.strictObject({
  groupBase: z.string().min(1),
  groupFilter: filter.default('(objectClass=groupOfNames)'),
  /** Attribute of a group entry naming its members (DNs for groupOfNames, uids for posixGroup's memberUid). */
  memberAttribute: z.string().min(1).default('member'),
  /** Members are DNs whose RDN value (uid=alice,...) is the username; false: the value is the username itself (memberUid). */
  memberIsDn: z.boolean().default(true),
  /** Attribute whose value is the group's name in rosters (RFC 6121 <group/>). */
  groupNameAttribute: z.string().min(1).default('cn'),
  /** Read again this often; `gliderctl`/admin API refresh on demand. */
  refreshIntervalMs: ms.min(1_000).default(300_000),
  /** An on-demand refresh (gliderctl directory refresh / the admin API) waits this long for the presence service's answer. */
  refreshTimeoutMs: ms.min(100).default(30_000),
  /** At most this many groups are read (LDAP size limit); a directory with more gets the first this many and a warning. */
  maxGroups: z.number().int().min(1).default(2_000),
  /** Groups with more members than this are skipped with a warning (each member would get every other one). */
  maxMembersPerGroup: z.number().int().min(1).default(5_000),
});

/** An LDAP attribute name (or OID), e.g. mail, jpegPhoto. */
const attribute = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$|^\d+(\.\d+)+$/, 'an LDAP attribute name such as mail');

/**
 * XEP-0055 user search over the directory (the presence service's `features.search` serves it on
 * search.<domain>): which form field searches which attribute. Results stay within `userFilter`,
 * `loginFilter` and outside `disabledFilter`: only people who can sign on are found.
 */
export const directorySearchSchema = z.strictObject({
  /** Form field var → attribute; each a substring match (RFC 4515-escaped). XEP-0055 §6.2 names first, last, nick, email. */
  fields: z
    .record(
      z
        .string()
        .regex(/^[a-z][a-z0-9_-]*$/, 'a form field name (lower case)')
        .refine((f) => f !== 'jid', 'jid is the result column of every hit, not a search field'),
      attribute,
    )
    .default({ user: 'uid', first: 'givenName', last: 'sn', nick: 'displayName', email: 'mail', fn: 'cn' }),
  /** The attribute holding the XMPP username (AD: sAMAccountName). */
  usernameAttribute: attribute.default('uid'),
});

/**
 * vCards (XEP-0054 vcard-temp) filled from the user's directory entry: each vCard field named here
 * comes from that attribute and is read-only for the user (docs/directory.md, "vCards").
 * Absent = vCards are the users' own, as for local accounts.
 */
export const directoryVcardSchema = z.strictObject({
  attributes: z
    .strictObject({
      fn: attribute.optional(),
      given: attribute.optional(),
      family: attribute.optional(),
      nickname: attribute.optional(),
      email: attribute.optional(),
      tel: attribute.optional(),
      org: attribute.optional(),
      orgUnit: attribute.optional(),
      title: attribute.optional(),
      role: attribute.optional(),
      /** A JPEG or PNG (inetOrgPerson jpegPhoto; AD thumbnailPhoto). */
      photo: attribute.optional(),
    })
    .default({
      fn: 'cn',
      given: 'givenName',
      family: 'sn',
      nickname: 'displayName',
      email: 'mail',
      tel: 'telephoneNumber',
      org: 'o',
      orgUnit: 'ou',
      title: 'title',
      photo: 'jpegPhoto',
    }),
  /** A user's directory fields are read again after this long; a stale copy answers while the directory is down. */
  cacheTtlMs: ms.min(1_000).default(300_000),
  /** Users whose fields are kept in memory per process (least recently read dropped first). */
  cacheMaxEntries: z.number().int().min(1).default(10_000),
  /** A directory photo larger than this is left out of the vCard (stanza and vCard size limits). */
  maxPhotoBytes: z
    .number()
    .int()
    .min(1)
    .default(64 * 1024),
});

export const directoryDomainSchema = z.strictObject({
  /** LDAP / Active Directory sign-on for this domain: SASL PLAIN (inside TLS) checked by a bind. */
  ldap: ldapSchema,
  /** Shared roster from directory groups; absent = none. */
  sharedRoster: sharedRosterSchema.optional(),
  /** XEP-0055 search fields over this directory; the defaults serve inetOrgPerson. */
  search: directorySearchSchema.default(directorySearchSchema.parse({})),
  /** vCards from directory attributes; absent = none. */
  vcard: directoryVcardSchema.optional(),
  /**
   * When routing or presence asks whether a user of this domain exists and there is no account
   * record yet (they never signed in), look them up in the directory (only people who may sign on)
   * and make the record as their first login would. false: they are unknown until they sign in.
   */
  provisionOnLookup: z.boolean().default(true),
});

export const directorySchema = z.strictObject({
  /** Keyed by XMPP domain (one of `domains`). */
  domains: z.record(z.string().min(1), directoryDomainSchema).default({}),
});

export type DirectoryConfig = z.infer<typeof directorySchema>;
export type LdapConfig = z.infer<typeof ldapSchema>;
export type SharedRosterConfig = z.infer<typeof sharedRosterSchema>;
export type DirectorySearchConfig = z.infer<typeof directorySearchSchema>;
export type DirectoryVcardConfig = z.infer<typeof directoryVcardSchema>;
