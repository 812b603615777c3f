import { randomBytes } from 'node:crypto';
import type { Socket as UdpSocket, RemoteInfo } from 'node:dgram';
import type { PeerPolicy } from './peer-policy.js';
import { PermissionTable, type PermissionLimits } from './permissions.js';
import { encodeXorAddress, type TransportAddress } from './stun-attributes.js';
import { Attr, Class, encodeStun, Method } from './stun-message.codec.js';
import { TokenBucket } from './token-bucket.js';

/** Largest DATA a Data indication can carry (STUN length is 16 bits; XOR-PEER-ADDRESS up to 24 bytes with IPv6). */
const MAX_DATA_INDICATION_BYTES = 0xffff - 64;

/** The client side of an allocation: the 5-tuple its requests came on (RFC 8656 §2.2). */
export interface ClientLink {
  transport: 'udp' | 'tcp' | 'tls';
  remote: TransportAddress;
  local: TransportAddress;
  /** transport|client ip|client port|server ip|server port */
  fiveTuple: string;
  /** ChannelData is padded on streams (RFC 8656 §12.5). */
  stream: boolean;
  send(chunks: Buffer[]): void;
}

export interface AllocationLimits extends PermissionLimits {
  bandwidthBytesPerSecond: number;
  bandwidthBurstBytes: number;
  maxBytes: number;
}

export type PeerSendResult = 'sent' | 'no-permission' | 'forbidden' | 'limited';

export interface AllocationCounters {
  relayedPackets: number;
  relayedBytes: number;
  droppedPackets: number;
}

/**
 * One allocation (RFC 8656 §2.2, §5): a relayed UDP transport address owned by a client 5-tuple
 * and a user, its permissions and channels, and its quotas. It relays client → peer (Send
 * indications, ChannelData; §10.2, §12.5) and peer → client (Data indications, ChannelData;
 * §10.3, §12.6) and drops what its permissions, policy or bandwidth do not allow.
 */
export class Allocation {
  readonly permissions: PermissionTable;
  expiresAt = 0;
  /** The Allocate transaction and its success response, re-sent on a retransmission (§7.2 step 1). */
  readonly allocateTransaction: string;
  allocateResponse: Buffer | undefined;
  readonly counters: AllocationCounters = { relayedPackets: 0, relayedBytes: 0, droppedPackets: 0 };
  private timer: NodeJS.Timeout | undefined;
  private readonly toPeer: TokenBucket;
  private readonly toClient: TokenBucket;
  private closed = false;
  private readonly tid = randomBytes(12);
  /**
   * A failed send (no route to the peer, EPERM from a firewall) is one lost datagram, as on the
   * wire: with a callback Node reports it here instead of as the socket's 'error', which would end
   * the allocation.
   */
  private readonly sent = (err: Error | null): void => {
    if (err) this.counters.droppedPackets++;
  };

  constructor(
    readonly client: ClientLink,
    readonly username: string,
    readonly user: string,
    private readonly socket: UdpSocket,
    /** What XOR-RELAYED-ADDRESS says (the public address when one is configured). */
    readonly relayed: TransportAddress,
    allocateTransaction: Buffer,
    private readonly limits: AllocationLimits,
    private readonly policy: PeerPolicy,
    private readonly now: () => number,
    private readonly onExpire: (a: Allocation) => void,
  ) {
    this.allocateTransaction = allocateTransaction.toString('hex');
    this.permissions = new PermissionTable(limits, now);
    this.toPeer = new TokenBucket(limits.bandwidthBytesPerSecond, limits.bandwidthBurstBytes);
    this.toClient = new TokenBucket(limits.bandwidthBytesPerSecond, limits.bandwidthBurstBytes);
    socket.on('message', (data, rinfo) => {
      try {
        this.fromPeer(data, rinfo);
      } catch {
        this.counters.droppedPackets++; // never let one datagram take the process down
      }
    });
  }

  /** Sets the time-to-expiry (§7.2, §8); the allocation is deleted when it runs out. */
  refresh(lifetimeSec: number): void {
    this.expiresAt = this.now() + lifetimeSec * 1000;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onExpire(this), lifetimeSec * 1000);
    this.timer.unref();
  }

  /** Client → peer: a Send indication's DATA or a ChannelData message's payload. */
  sendToPeer(peer: TransportAddress, data: Buffer): PeerSendResult {
    if (this.closed) return 'limited';
    if (!this.permissions.permitted(peer.address)) return this.drop('no-permission');
    // the address passed the policy when its permission was installed (CreatePermission, ChannelBind)
    if (this.policy.refusesOwnPort(peer.address, peer.port)) return this.drop('forbidden');
    if (!this.account(data.length) || !this.toPeer.take(data.length)) return this.drop('limited');
    this.socket.send(data, peer.port, peer.address, this.sent);
    return 'sent';
  }

  /** Peer → client: only from peers with a permission (§10.3), as ChannelData when bound. */
  private fromPeer(data: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    const address = rinfo.address.startsWith('::ffff:') ? rinfo.address.slice(7) : rinfo.address;
    if (!this.permissions.permitted(address)) return void this.drop('no-permission');
    if (!this.account(data.length) || !this.toClient.take(data.length)) return void this.drop('limited');
    const peer: TransportAddress = { family: rinfo.family === 'IPv6' ? 6 : 4, address, port: rinfo.port };
    const channel = this.permissions.channelOf(peer);
    if (channel !== undefined) {
      const framed = Buffer.allocUnsafe(4);
      framed.writeUInt16BE(channel, 0);
      framed.writeUInt16BE(data.length, 2);
      const pad = this.client.stream ? (4 - (data.length % 4)) % 4 : 0;
      this.client.send(pad ? [framed, data, Buffer.alloc(pad)] : [framed, data]);
      return;
    }
    // a Data indication adds 28 bytes of header and attributes: a datagram near 64 KiB cannot fit
    if (data.length > MAX_DATA_INDICATION_BYTES) return void this.drop('limited');
    this.nextTid();
    this.client.send([
      encodeStun(Method.Data, Class.Indication, this.tid, [
        { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, this.tid) },
        { type: Attr.Data, value: data },
      ]),
    ]);
  }

  private account(bytes: number): boolean {
    if (this.limits.maxBytes > 0 && this.counters.relayedBytes + bytes > this.limits.maxBytes) return false;
    this.counters.relayedBytes += bytes;
    this.counters.relayedPackets++;
    return true;
  }

  private drop<T extends PeerSendResult>(why: T): T {
    this.counters.droppedPackets++;
    return why;
  }

  /** Data indications need distinct transaction ids; a counter over a random start is enough. */
  private nextTid(): void {
    for (let i = 11; i >= 0; i--) if (++this.tid[i]! !== 256) break;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    try {
      this.socket.close();
    } catch {
      // already closed (the socket errored)
    }
  }
}
