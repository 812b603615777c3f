import { z } from 'zod';

/**
 * `media.turn`: the built-in STUN/TURN relay (RFC 8489, RFC 8656) of apps/media-relay
 * (features/rfc8656-turn/README.md). Kept in its own file so the `media` section (owned by the
 * media-relay app) takes it with one line.
 */
const port = z.number().int().min(0).max(65535);
const relayPort = z.number().int().min(1024).max(65535);
const sec = z.number().int().min(1);
const ip = z.union([z.ipv4(), z.ipv6()]);
const cidr = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]);

export const turnSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Address the client listeners (UDP, TCP, TLS) bind. */
    host: z.string().default('0.0.0.0'),
    /** STUN/TURN over UDP and TCP (RFC 8656 §3.1: 3478 for both). 0 = a free port (tests). */
    udpPort: port.default(3478),
    tcpPort: port.default(3478),
    /** TURN over TLS (RFC 8656 §3.1 `turns`, 5349); certificate from tls.* like the edge. */
    tlsPort: port.default(5349),
    /** Client transports served. */
    transports: z
      .array(z.enum(['udp', 'tcp', 'tls']))
      .min(1)
      .default(['udp', 'tcp', 'tls']),
    /**
     * The relay's address as peers and clients must reach it (XOR-RELAYED-ADDRESS, XEP-0215 host):
     * the node's public IP behind NAT or in Kubernetes. Default: the relay sockets' own address.
     */
    publicAddress: ip.optional(),
    /** Address relay sockets bind (RFC 8656 §7.2); default: `host`, or the first non-internal IPv4 when that is 0.0.0.0. */
    relayAddress: ip.optional(),
    /** Relayed transport addresses are taken from this range (RFC 8656 §7.2: 49152-65535). */
    relayPortMin: relayPort.default(49152),
    relayPortMax: relayPort.default(65535),
    /** REALM (RFC 8489 §14.9); default: the first of `domains`. */
    realm: z.string().min(1).max(127).optional(),
    /** TURN REST API shared secret, one line; made 0600 on first start when missing. Default: <dataDir>/turn-secret. */
    sharedSecretFile: z.string().min(1).optional(),
    /** Validity of the credentials handed out through XEP-0215 (draft-uberti-behave-turn-rest: a day). */
    credentialTtlSec: sec.default(86_400),
    /** A NONCE is stale after this long (RFC 8489 §9.2: 438 Stale Nonce, the client retries). */
    nonceLifetimeSec: sec.default(600),
    /** Allocation lifetime when the client asks for none, and the most it may ask (RFC 8656 §3.8, §7.2). */
    allocationLifetimeSec: sec.default(600),
    maxAllocationLifetimeSec: sec.default(3600),
    /** RFC 8656 §9 (fixed at 300 s by the RFC; a value here only for tests). */
    permissionLifetimeSec: sec.default(300),
    /** RFC 8656 §12 (10 minutes). */
    channelLifetimeSec: sec.default(600),
    /** A port reserved by EVEN-PORT's R bit waits this long for its RESERVATION-TOKEN (RFC 8656 §7.2: about 30 s). */
    reservationLifetimeSec: sec.default(30),
    /** Allocations one user may hold at once; the next gets 486 Allocation Quota Reached. */
    maxAllocationsPerUser: z.number().int().min(1).default(10),
    /** Allocations this relay holds at once; the next gets 508 Insufficient Capacity. */
    maxAllocations: z.number().int().min(1).default(10_000),
    /** Relayed bytes per second per allocation, each direction (token bucket); excess datagrams are dropped. 0 = no limit. */
    bandwidthBytesPerSecond: z.number().int().min(0).default(1_250_000),
    /** Burst of the bandwidth limit. */
    bandwidthBurstBytes: z.number().int().min(1).default(2_500_000),
    /** Relayed bytes (both directions) over an allocation's life; past it the allocation relays no more. 0 = no limit. */
    maxBytesPerAllocation: z
      .number()
      .int()
      .min(0)
      .default(8 * 1024 * 1024 * 1024),
    /** Permissions and channels per allocation (RFC 8656 §9, §12 leave the bound to the server). */
    maxPermissionsPerAllocation: z.number().int().min(1).default(64),
    maxChannelsPerAllocation: z.number().int().min(1).default(64),
    /** TCP/TLS client connections at once, and per source address. */
    maxConnections: z.number().int().min(1).default(10_000),
    maxConnectionsPerIp: z.number().int().min(1).default(100),
    /**
     * SO_RCVBUF/SO_SNDBUF of the UDP listener and of each relay socket: bursts of media outrun a
     * small buffer (datagrams lost in the kernel). Linux caps it at net.core.rmem_max/wmem_max
     * (docs/media.md says how to raise those).
     */
    udpBufferBytes: z
      .number()
      .int()
      .min(65_536)
      .default(4 * 1024 * 1024),
    /** Bytes waiting to be written to one TLS client; past it relayed data is dropped (a relay never queues without bound). */
    maxQueuedBytesPerConnection: z
      .number()
      .int()
      .min(65_536)
      .default(1024 * 1024),
    /** A TCP/TLS connection with no allocation and no traffic is closed after this long. */
    idleTimeoutSec: sec.default(60),
    /**
     * Peers refused by default (403 Forbidden, RFC 8656 §17 "open relay" and SSRF): loopback,
     * link-local, RFC 1918, ULA, CGNAT, unspecified, multicast, broadcast and the relay's own
     * addresses. A CIDR here is allowed anyway (e.g. a lab network); `deniedPeers` refuses more.
     */
    allowedPeers: z.array(cidr).default([]),
    deniedPeers: z.array(cidr).default([]),
  })
  .refine((t) => t.relayPortMin <= t.relayPortMax, { error: 'relayPortMin must not be above relayPortMax', path: ['relayPortMin'] })
  .refine((t) => t.allocationLifetimeSec <= t.maxAllocationLifetimeSec, {
    error: 'allocationLifetimeSec must not be above maxAllocationLifetimeSec',
    path: ['allocationLifetimeSec'],
  });

export type TurnConfig = z.infer<typeof turnSchema>;
