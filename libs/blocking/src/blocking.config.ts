import { z } from 'zod';

/**
 * `features.blocking.*`: read by the router's XEP-0191 feature (the IQs and stanza filtering) and by
 * presence's (presence filtering); both parse the same key, so one value governs the cluster.
 */
export const blockingConfigSchema = z.strictObject({
  /** Off: no blocklist IQs, no filtering, nothing advertised. */
  enabled: z.boolean().default(true),
  /** JIDs one account may block; a block past it fails with <resource-constraint/> and blocks none. */
  maxItems: z.number().int().min(1).default(1000),
  /** Items in one block or unblock request; past it <policy-violation/> (a request is parsed whole). */
  maxItemsPerRequest: z.number().int().min(1).default(500),
  /**
   * How long a process keeps an account's list without hearing of a change. Changes invalidate it
   * at once over the bus; this only bounds staleness if such a message was lost (core NATS is
   * at-most-once; a reconnect clears the whole cache too).
   */
  cacheTtlMs: z.number().int().min(0).default(60_000),
  /** Accounts whose lists one process keeps (least recently used go first). */
  cacheMaxEntries: z.number().int().min(1).default(10_000),
});

export type BlockingConfig = z.infer<typeof blockingConfigSchema>;
