import { z } from 'zod';

/**
 * `archive`: the XEP-0313 message archive (apps/router/src/features/xep-0313-mam, docs/storage.md).
 * Its own file so other branches' config additions never touch these lines.
 */
const days = z.number().int().min(0);

export const archiveSchema = z.strictObject({
  /**
   * Archives messages and answers `urn:xmpp:mam:2` queries (and advertises it) only when on. On by
   * default (XEP-0479 lists MAM for an IM server; what it costs: docs/performance.md, "Message
   * archive"); off, nothing is archived, stamped, answered or advertised.
   */
  enabled: z.boolean().default(true),
  /** XEP-0313 §6 default for users who never set preferences: always, roster (contacts only) or never. */
  defaultPolicy: z.enum(['always', 'roster', 'never']).default('always'),
  /** Page size when a query gives no RSM `<max/>` (XEP-0059 §2.1). */
  defaultPageSize: z.number().int().min(1).default(50),
  /** Server cap on `<max/>`: a larger request gets this many (XEP-0313 §4.2, XEP-0059 §2.1). */
  maxPageSize: z.number().int().min(1).default(250),
  /** Queries one account may make per minute; past it → `policy-violation` (XEP-0313 §4.2). */
  maxQueriesPerMinute: z.number().int().min(1).default(60),
  /** Most JIDs in one preferences list (`always` or `never`); past it → `not-acceptable`. */
  maxPrefsJids: z.number().int().min(1).default(1000),
  /**
   * How long a message to a local user may wait for its recipient's preferences (read before
   * delivery, to know whether to stamp a stanza-id); past it the message is delivered unarchived.
   * Keeps a slow or unreachable store from delaying delivery (storage retries for much longer).
   */
  prefsReadTimeoutMs: z.number().int().min(1).default(2_000),
  /**
   * How long the sender's Ack waits for an archive write (keeping one session's messages archived
   * in order); past it the Ack goes and the write goes on alone, so a slow store does not hold the
   * sender's next messages for its whole retry budget.
   */
  writeWaitMs: z.number().int().min(1).default(2_000),
  /** Messages older than this many days are deleted (0 = kept until the account goes). */
  retentionDays: days.default(0),
  /** Per-domain override of `retentionDays`, e.g. `{ "example.com": 365 }`. */
  retentionDaysByDomain: z.record(z.string().min(1), days).default({}),
  /** How often the retention sweeper runs (every router runs it; the deletes are idempotent). */
  sweepIntervalMs: z.number().int().min(1000).default(3_600_000),
});

export type ArchiveConfig = z.infer<typeof archiveSchema>;
