import { z } from 'zod';

/**
 * `s2s`: federation with other XMPP servers (issue 13, docs/federation.md, libs/federation).
 * Its own file so other branches' config additions never touch these lines.
 */
const port = z.number().int().min(0).max(65535);
const ms = z.number().int().min(0);
/** A domain, or `*.domain` for its subdomains (not itself). */
const domainPattern = z
  .string()
  .min(1)
  .max(255)
  .regex(/^(\*\.)?[^\s*@/]+$/, 'a domain such as partner.example, or *.partner.example for its subdomains');

export const s2sPolicySchema = z.strictObject({
  /**
   * `allowlist`: only the domains in `allow` (a company talks to named partners); `open`: every
   * domain; `closed`: none. The deny list applies on top of `open` and `allowlist`.
   */
  mode: z.enum(['open', 'allowlist', 'closed']).default('allowlist'),
  allow: z.array(domainPattern).default([]),
  deny: z.array(domainPattern).default([]),
  /**
   * XEP-0220 dialback (with XEP-0185 keys, only over TLS: XEP-0344) for a domain the policy allows
   * whose certificate cannot be validated, both ways; and for our side when the peer does not take
   * our certificate. Off by default: a company's partners authenticate by certificate (RFC 6120
   * §13.7.2), and dialback rests on DNS (weak without DNSSEC). docs/federation.md "Dialback".
   */
  dialback: z.boolean().default(false),
});

/** How to reach one remote domain without DNS (private links, tests): host and port, STARTTLS or direct TLS. */
export const s2sRouteSchema = z.strictObject({
  host: z.string().min(1),
  port: port.min(1).default(5269),
  /** XEP-0368: TLS from the first byte (usually port 5270). */
  directTls: z.boolean().default(false),
});

/**
 * DANE for s2s (RFC 7673, RFC 6698/7671; docs/federation.md "DANE"): off until `resolver` names a
 * DNSSEC-validating resolver we trust (same host, pod or a trusted link: its AD bit is believed,
 * RFC 4035 §4.9.3). Then SRV, address and TLSA lookups for remote domains go to it
 * (libs/dns), and a TLSA-bound peer is authenticated by its records (DANE-EE/DANE-TA without a CA).
 */
export const s2sDaneSchema = z.strictObject({
  /** `host:port` or `[v6]:port` of the validating resolver (e.g. a local unbound at `127.0.0.1:53`). Absent: DANE off. */
  resolver: z
    .string()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'host:port or [v6]:port')
    .optional(),
  /** One DNS query attempt (UDP or TCP). */
  timeoutMs: ms.min(1).default(2_000),
  /** UDP attempts per query before it fails (a lost datagram is retried); a failed query is a failure, not a downgrade. */
  tries: z.number().int().min(1).max(5).default(2),
  /** EDNS0 UDP payload size offered (RFC 6891; 1232 avoids IP fragmentation). Larger answers come over TCP. */
  udpPayloadBytes: z.number().int().min(512).max(4096).default(1232),
  /** The largest answer read over TCP; a larger one fails the query. */
  maxResponseBytes: z.number().int().min(512).max(65535).default(16_384),
  /** Answer records per response; more fail the query. */
  maxRecords: z.number().int().min(1).max(1000).default(64),
});

export const s2sSchema = z.strictObject({
  /** Federation on: listen on `port`/`directTlsPort` and send to remote domains. Off: remote stanzas bounce. */
  enabled: z.boolean().default(false),
  /** RFC 6120 s2s with STARTTLS (required before anything else). */
  port: port.default(5269),
  /** XEP-0368 direct TLS for s2s; 0 = not offered. */
  directTlsPort: port.default(5270),
  policy: s2sPolicySchema.default(s2sPolicySchema.parse({})),
  /**
   * A JSON file `{ "mode", "allow", "deny" }` that replaces `policy` and is re-read when it changes
   * (a mounted ConfigMap): the policy changes without a restart.
   */
  policyFile: z.string().min(1).optional(),
  /** How often the policy file is checked besides file-system events (network mounts miss some). */
  policyPollMs: ms.min(100).default(10_000),
  /** PEM bundle of the CAs trusted for peer certificates; absent: Node's bundled public roots. */
  trustFile: z.string().min(1).optional(),
  /**
   * XEP-0185 secret for dialback keys (`policy.dialback`), shared by every edge (a mounted Secret).
   * Absent: derived from our TLS private key, which every edge of the deployment holds
   * (apps/edge/src/s2s/dialback-secret.ts).
   */
  dialbackSecretFile: z.string().min(1).optional(),
  /**
   * Dialback requests (`<db:result/>`) one inbound stream may have under verification at once; past
   * it a request gets a `policy-violation` dialback error (each one makes us dial its domain).
   */
  dialbackMaxPending: z.number().int().min(1).default(16),
  /** Per remote domain, where to connect instead of DNS SRV lookups. */
  routes: z.record(z.string().min(1), s2sRouteSchema).default({}),
  /** One connection attempt (TCP, TLS and authentication) to one address. */
  connectTimeoutMs: ms.min(1).default(15_000),
  /** SRV and address lookups for one domain. */
  dnsTimeoutMs: ms.min(1).default(5_000),
  /**
   * A stanza waits at most this long for its connection; then it bounces with
   * `remote-server-timeout` (RFC 6120 §8.3.3.15). Counted from when the owning edge accepted it
   * (stored it in the durable queue, KV `glider_s2s_out`), also across a take-over by another edge.
   */
  queueTimeoutMs: ms.min(1).default(30_000),
  /** Stanzas queued per remote domain while connecting; past it new ones bounce with `resource-constraint`. */
  maxQueuedStanzas: z.number().int().min(1).default(1_000),
  /** Close an s2s stream (either direction) with no stanza for this long (RFC 6120 §4.4); the next stanza opens a new one. */
  idleTimeoutMs: ms.min(1).default(600_000),
  /** After a failed connection, stanzas for that domain bounce at once for this long (no reconnect storm). */
  retryBackoffMs: ms.default(10_000),
  dane: s2sDaneSchema.default(s2sDaneSchema.parse({})),
});

export type S2sConfig = z.infer<typeof s2sSchema>;
export type S2sDaneConfig = z.infer<typeof s2sDaneSchema>;
export type S2sPolicyConfig = z.infer<typeof s2sPolicySchema>;
