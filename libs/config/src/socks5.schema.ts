import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const ms = z.number().int().min(1);

/**
 * `media.socks5`: the XEP-0065 SOCKS5 Bytestreams proxy of media-relay (`proxy.<domain>`).
 * apps/media-relay/src/features/xep-0065-socks5/README.md explains each limit.
 */
export const socks5Schema = z.strictObject({
  /** Off: no `proxy.<domain>` is declared and no port is opened. */
  enabled: z.boolean().default(true),
  /** Where the SOCKS5 listener binds. */
  host: z.string().default('0.0.0.0'),
  /** TCP port of the SOCKS5 listener (7777: ejabberd's and most clients' habit for proxy65). */
  port: port.default(7777),
  /**
   * Host announced to clients in the <streamhost/> (XEP-0065 §4): the name or address clients
   * reach the listener by (a LoadBalancer's, a node's). Empty: `media.publicHost`, else `host`
   * when it is a specific address, else the XMPP domain the client asked about.
   */
  publicHost: z.string().default(''),
  /** Port announced in the <streamhost/>; 0: `port`. */
  publicPort: port.default(0),
  /**
   * Address other media-relay replicas reach this one's listener by (the pod IP on Kubernetes):
   * a transfer's second connection landing on another replica is forwarded here. Empty: `host`
   * when it is a specific address, else 127.0.0.1 (one machine).
   */
  peerHost: z.string().default(''),
  /** Transfers (pending or relaying) one replica holds at once; a new one past this is refused. */
  maxTransfers: z.number().int().min(1).default(100),
  /** Transfers one requester (bare JID) may have activated at once, across the cluster. */
  maxTransfersPerUser: z.number().int().min(1).default(5),
  /** Bytes relayed per transfer (both directions together); past this the transfer is cut. */
  maxBytesPerTransfer: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024 * 1024),
  /** A relaying transfer with no byte either way for this long is closed. */
  idleTimeoutMs: ms.default(60_000),
  /** A connection not activated (XEP-0065 §6.3.5) this long after it connected is closed. */
  activationTimeoutMs: ms.default(60_000),
  /** Time a new connection has to finish the SOCKS5 greeting and CONNECT request. */
  handshakeTimeoutMs: ms.default(10_000),
});

export type Socks5Config = z.infer<typeof socks5Schema>;
