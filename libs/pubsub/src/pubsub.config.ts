import { z } from 'zod';

/**
 * `features.pubsub.*`: PEP on every account (XEP-0163) and the generic service on
 * `<subdomain>.<domain>` (XEP-0060), both in the presence service, one set of limits.
 */
export const pubsubConfigSchema = z.strictObject({
  /** Off: no PEP, no pubsub.<domain>, nothing advertised. */
  enabled: z.boolean().default(true),
  /**
   * The generic service's host under each local domain (`pubsub.example.com`). XEP-0115 queries
   * about unknown caps are sent from it too, so the answers find their way back.
   */
  subdomain: z
    .string()
    .regex(/^[a-z0-9-]+$/)
    .default('pubsub'),
  /** Items one node keeps at most: `pubsub#max_items` above it → <not-acceptable/>, 'max' means this. */
  maxItemsPerNode: z.number().int().min(1).default(256),
  /** A node's max_items when its config names none (PEP nodes keep 1 unless asked, like most servers). */
  defaultMaxItems: z.number().int().min(1).default(1),
  /** Bytes of one item's payload; larger → <not-acceptable/> with <payload-too-big/> (XEP-0060 §7.1.3.4). */
  maxItemBytes: z.number().int().min(1).default(65_536),
  /** Nodes one account's PEP service holds; creating past it → <resource-constraint/>. */
  maxNodesPerAccount: z.number().int().min(1).default(200),
  /** Nodes the generic service holds per domain; creating past it → <resource-constraint/>. */
  maxNodesPerService: z.number().int().min(1).default(10_000),
  /** Subscriptions one node takes; past it → <policy-violation/> (XEP-0060 §6.1.3 lets a service refuse). */
  maxSubscriptionsPerNode: z.number().int().min(1).default(1_000),
  /** Items one retrieve answers at most (a `max_items` asking for more gets this many, newest first). */
  maxItemsPerRetrieve: z.number().int().min(1).default(256),
  /** XEP-0115: how long the server waits for a client's disco#info answer about an unknown caps hash. */
  capsQueryTimeoutMs: z.number().int().min(100).default(10_000),
  /** XEP-0115: verified hashes kept in this process (the bus KV bucket `glider_caps` is shared by all). */
  capsCacheMaxEntries: z.number().int().min(1).default(10_000),
});

export type PubSubConfig = z.infer<typeof pubsubConfigSchema>;

/** `features.pubsub` of the whole config, validated; a bad value names its key (as loadFeatures does). */
export function readPubSubConfig(features: Record<string, unknown>): PubSubConfig {
  const parsed = pubsubConfigSchema.safeParse(features.pubsub ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(`features.pubsub.${issue.path.join('.')}: ${issue.message}`);
}
