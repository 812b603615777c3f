import type { Socket as UdpSocket } from 'node:dgram';
import { decodeChannelData, isChannelNumber } from './channel-data.codec.js';
import { Allocation, type AllocationLimits, type ClientLink } from './allocation.js';
import { bindRelaySocket, type Reservations, UserQuota } from './allocation-table.js';
import { checkFingerprint, seal } from './integrity.js';
import type { LongTermAuth } from './long-term-auth.js';
import type { PeerPolicy } from './peer-policy.js';
import {
  decodeChannelNumber,
  decodeXorAddress,
  encodeErrorCode,
  encodeUnknownAttributes,
  encodeXorAddress,
  u32,
  type TransportAddress,
} from './stun-attributes.js';
import { Attr, Class, decodeStun, encodeStun, getAttr, Method, unknownRequired, type OutAttribute, type StunMessage } from './stun-message.codec.js';

export interface TurnLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface TurnProcessorOptions {
  auth: LongTermAuth;
  policy: PeerPolicy;
  limits: AllocationLimits;
  /** Address relay sockets bind, and the one XOR-RELAYED-ADDRESS announces. */
  relayBind: string;
  relayAnnounce: string;
  relayPortMin: number;
  relayPortMax: number;
  udpBufferBytes: number;
  allocationLifetimeSec: number;
  maxAllocationLifetimeSec: number;
  quota: UserQuota;
  reservations: Reservations;
  now: () => number;
  logger: TurnLogger;
}

type Authed = { user: string; username: string; key: Buffer; sha256: boolean };
const PROTO_UDP = 17;
/** Relay port binds tried per Allocate before 508 (each is one bind system call). */
const MAX_BIND_TRIES = 64;

/**
 * STUN Binding (RFC 8489 §6.3) and the TURN requests (RFC 8656 §7-§12) for every client
 * transport. A request gets exactly one response; indications and malformed messages get none.
 */
export class TurnProcessor {
  readonly allocations = new Map<string, Allocation>();
  private readonly pending = new Set<string>();
  private closed = false;
  /** Counters of the allocations already removed (stats() adds the live ones). */
  readonly removedTotals = { relayedPackets: 0, relayedBytes: 0, droppedPackets: 0, allocations: 0 };

  constructor(private readonly o: TurnProcessorOptions) {}

  /** A STUN message or ChannelData from a client; never throws. */
  handle(buf: Buffer, link: ClientLink): void {
    try {
      if ((buf[0]! & 0xc0) === 0x40) return this.channelData(buf, link);
      const msg = decodeStun(buf);
      if (!msg || checkFingerprint(msg) === 'invalid') return;
      if (msg.cls === Class.Indication) {
        if (msg.method === Method.Send) this.sendIndication(msg, link);
        return;
      }
      if (msg.cls === Class.Request) void this.request(msg, link).catch((err: Error) => this.internalError(msg, link, err));
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message, client: link.fiveTuple }, 'TURN packet dropped');
    }
  }

  /** A stream client went away: its allocation dies with its connection (RFC 8656 §3.1). */
  clientGone(fiveTuple: string): void {
    const a = this.allocations.get(fiveTuple);
    if (a) this.remove(a);
  }

  private async request(msg: StunMessage, link: ClientLink): Promise<void> {
    if (msg.method === Method.Binding) {
      const unknown = unknownRequired(msg);
      if (unknown.length)
        return this.error(msg, link, 420, 'Unknown Attribute', undefined, [{ type: Attr.UnknownAttributes, value: encodeUnknownAttributes(unknown) }]);
      return void this.success(msg, link, [{ type: Attr.XorMappedAddress, value: encodeXorAddress(link.remote, msg.transactionId) }]);
    }
    if (![Method.Allocate, Method.Refresh, Method.CreatePermission, Method.ChannelBind].includes(msg.method as 3)) {
      return this.error(msg, link, 400, 'Bad Request: unknown method');
    }
    const auth = this.o.auth.authenticate(msg, link.remote.address);
    if (!auth.ok) {
      // a first request without credentials is the normal challenge; the rest are refusals
      if (auth.reason !== 'Unauthorized') this.o.logger.debug({ client: link.fiveTuple, code: auth.code, reason: auth.reason }, 'TURN request refused');
      return this.error(msg, link, auth.code, auth.reason, undefined, [], auth.challenge);
    }
    const unknown = unknownRequired(msg);
    if (unknown.length)
      return this.error(msg, link, 420, `Unknown Attribute ${unknown.map((t) => '0x' + t.toString(16)).join(' ')}`, auth, [
        { type: Attr.UnknownAttributes, value: encodeUnknownAttributes(unknown) },
      ]);
    if (msg.method === Method.Allocate) return this.allocate(msg, link, auth);
    const alloc = this.allocations.get(link.fiveTuple);
    if (!alloc) return this.error(msg, link, 437, 'Allocation Mismatch', auth);
    if (alloc.user !== auth.user) return this.error(msg, link, 441, 'Wrong Credentials', auth);
    if (msg.method === Method.Refresh) return this.refresh(msg, link, auth, alloc);
    if (msg.method === Method.CreatePermission) return this.createPermission(msg, link, auth, alloc);
    return this.channelBind(msg, link, auth, alloc);
  }

  /** RFC 8656 §7.2. */
  private async allocate(msg: StunMessage, link: ClientLink, auth: Authed): Promise<void> {
    const existing = this.allocations.get(link.fiveTuple);
    if (existing) {
      if (existing.allocateTransaction === msg.transactionId.toString('hex') && existing.allocateResponse) return link.send([existing.allocateResponse]);
      return this.error(msg, link, 437, 'Allocation Mismatch', auth);
    }
    if (this.pending.has(link.fiveTuple)) return; // a retransmission while the first is being served
    const transport = getAttr(msg, Attr.RequestedTransport);
    if (!transport || transport.length !== 4) return this.error(msg, link, 400, 'Bad Request: REQUESTED-TRANSPORT is required', auth);
    if (transport[0] !== PROTO_UDP) return this.error(msg, link, 442, 'Unsupported Transport Protocol', auth);
    const family = getAttr(msg, Attr.RequestedAddressFamily);
    const relayFamily = this.o.relayAnnounce.includes(':') ? 2 : 1;
    if (family && (family.length !== 4 || family[0] !== relayFamily)) return this.error(msg, link, 440, 'Address Family not Supported', auth);
    const taken = this.o.quota.take(auth.user);
    if (taken === 'user') return this.error(msg, link, 486, 'Allocation Quota Reached', auth);
    if (taken === 'capacity') return this.error(msg, link, 508, 'Insufficient Capacity', auth);
    const evenPort = getAttr(msg, Attr.EvenPort);
    const token = getAttr(msg, Attr.ReservationToken);
    if (token && (evenPort || token.length !== 8)) {
      this.o.quota.release(auth.user);
      return this.error(msg, link, 400, 'Bad Request: RESERVATION-TOKEN with EVEN-PORT', auth);
    }
    this.pending.add(link.fiveTuple);
    let bound: { socket: UdpSocket; next?: UdpSocket } | undefined;
    try {
      if (token) {
        const socket = this.o.reservations.take(token);
        bound = socket && { socket };
      } else {
        const range = {
          address: this.o.relayBind,
          min: this.o.relayPortMin,
          max: this.o.relayPortMax,
          even: evenPort !== undefined,
          pair: ((evenPort?.[0] ?? 0) & 0x80) !== 0,
          bufferBytes: this.o.udpBufferBytes,
        };
        bound = await bindRelaySocket(range, MAX_BIND_TRIES);
      }
    } finally {
      this.pending.delete(link.fiveTuple);
    }
    if (this.closed) {
      bound?.socket.close();
      bound?.next?.close();
      return;
    }
    if (!bound) {
      this.o.quota.release(auth.user);
      if (!token) this.o.logger.warn({ range: `${this.o.relayPortMin}-${this.o.relayPortMax}` }, 'TURN relay port range exhausted');
      return this.error(msg, link, 508, token ? 'Insufficient Capacity: unknown or expired RESERVATION-TOKEN' : 'Insufficient Capacity', auth);
    }
    const socket = bound.socket;
    const extra: OutAttribute[] = [];
    const reserved = bound.next && this.o.reservations.hold(bound.next);
    if (reserved) extra.push({ type: Attr.ReservationToken, value: reserved });
    const relayed: TransportAddress = { family: relayFamily === 2 ? 6 : 4, address: this.o.relayAnnounce, port: socket.address().port };
    const alloc = new Allocation(link, auth.username, auth.user, socket, relayed, msg.transactionId, this.o.limits, this.o.policy, this.o.now, (a) =>
      this.remove(a),
    );
    socket.on('error', (err) => {
      this.o.logger.warn({ err: err.message, relayed: relayed.port }, 'TURN relay socket error; allocation removed');
      this.remove(alloc);
    });
    const lifetime = this.lifetime(getAttr(msg, Attr.Lifetime));
    alloc.refresh(lifetime);
    this.allocations.set(link.fiveTuple, alloc);
    const additional = getAttr(msg, Attr.AdditionalAddressFamily);
    if (additional && additional[0] === 2 && relayFamily === 1) {
      const v = encodeErrorCode(440, 'Address Family not Supported');
      v[0] = 2;
      extra.push({ type: Attr.AddressErrorCode, value: v });
    }
    alloc.allocateResponse = this.success(
      msg,
      link,
      [
        { type: Attr.XorRelayedAddress, value: encodeXorAddress(relayed, msg.transactionId) },
        { type: Attr.Lifetime, value: u32(lifetime) },
        ...extra,
        { type: Attr.XorMappedAddress, value: encodeXorAddress(link.remote, msg.transactionId) },
      ],
      auth,
    );
    this.o.logger.info({ user: auth.user, client: link.fiveTuple, relayed: `${relayed.address}:${relayed.port}`, lifetime }, 'TURN allocation created');
  }

  /** max(default, min(requested, max)): RFC 8656 §7.2 step "lifetime". */
  private lifetime(v: Buffer | undefined): number {
    const requested = v && v.length === 4 ? v.readUInt32BE(0) : this.o.allocationLifetimeSec;
    return Math.max(this.o.allocationLifetimeSec, Math.min(requested, this.o.maxAllocationLifetimeSec));
  }

  /** RFC 8656 §8. */
  private refresh(msg: StunMessage, link: ClientLink, auth: Authed, alloc: Allocation): void {
    const family = getAttr(msg, Attr.RequestedAddressFamily);
    if (family && family[0] !== (alloc.relayed.family === 6 ? 2 : 1)) return this.error(msg, link, 443, 'Peer Address Family Mismatch', auth);
    const v = getAttr(msg, Attr.Lifetime);
    if (v && v.length === 4 && v.readUInt32BE(0) === 0) {
      this.remove(alloc);
      return void this.success(msg, link, [{ type: Attr.Lifetime, value: u32(0) }], auth);
    }
    const lifetime = this.lifetime(v);
    alloc.refresh(lifetime);
    this.success(msg, link, [{ type: Attr.Lifetime, value: u32(lifetime) }], auth);
  }

  /** RFC 8656 §9.2: all peers are checked before any permission is installed. */
  private createPermission(msg: StunMessage, link: ClientLink, auth: Authed, alloc: Allocation): void {
    const values = msg.attributes.filter((a) => a.type === Attr.XorPeerAddress);
    if (!values.length) return this.error(msg, link, 400, 'Bad Request: XOR-PEER-ADDRESS is required', auth);
    const peers: TransportAddress[] = [];
    for (const a of values) {
      const peer = decodeXorAddress(a.value, msg.transactionId);
      if (!peer) return this.error(msg, link, 400, 'Bad Request: malformed XOR-PEER-ADDRESS', auth);
      if (peer.family !== alloc.relayed.family) return this.error(msg, link, 443, 'Peer Address Family Mismatch', auth);
      if (!this.o.policy.permitsAddress(peer.address)) return this.forbidden(msg, link, auth, peer);
      peers.push(peer);
    }
    if (!alloc.permissions.canPermit(peers.map((p) => p.address))) return this.error(msg, link, 508, 'Insufficient Capacity', auth);
    for (const p of peers) alloc.permissions.permit(p.address);
    this.success(msg, link, [], auth);
  }

  /** RFC 8656 §11.2. */
  private channelBind(msg: StunMessage, link: ClientLink, auth: Authed, alloc: Allocation): void {
    const channel = decodeChannelNumber(getAttr(msg, Attr.ChannelNumber));
    if (channel === undefined || !isChannelNumber(channel)) return this.error(msg, link, 400, 'Bad Request: CHANNEL-NUMBER outside 0x4000-0x7FFE', auth);
    const peer = decodeXorAddress(getAttr(msg, Attr.XorPeerAddress), msg.transactionId);
    if (!peer) return this.error(msg, link, 400, 'Bad Request: XOR-PEER-ADDRESS is required', auth);
    if (peer.family !== alloc.relayed.family) return this.error(msg, link, 443, 'Peer Address Family Mismatch', auth);
    if (!this.o.policy.permitsPeer(peer.address, peer.port)) return this.forbidden(msg, link, auth, peer);
    const bound = alloc.permissions.bind(channel, peer);
    if (bound === 'conflict') return this.error(msg, link, 400, 'Bad Request: channel or peer already bound otherwise', auth);
    if (bound === 'quota') return this.error(msg, link, 508, 'Insufficient Capacity', auth);
    this.success(msg, link, [], auth);
  }

  /** RFC 8656 §10.2: no response; what cannot be relayed is dropped. */
  private sendIndication(msg: StunMessage, link: ClientLink): void {
    const alloc = this.allocations.get(link.fiveTuple);
    const peer = decodeXorAddress(getAttr(msg, Attr.XorPeerAddress), msg.transactionId);
    const data = getAttr(msg, Attr.Data);
    if (alloc && peer && data) alloc.sendToPeer(peer, data);
  }

  /** RFC 8656 §12.5. */
  private channelData(buf: Buffer, link: ClientLink): void {
    const alloc = this.allocations.get(link.fiveTuple);
    const cd = alloc && decodeChannelData(buf);
    if (!alloc || !cd) return;
    const peer = alloc.permissions.peerOf(cd.channel);
    if (peer) alloc.sendToPeer(peer, cd.data);
  }

  private forbidden(msg: StunMessage, link: ClientLink, auth: Authed, peer: TransportAddress): void {
    this.o.logger.info({ user: auth.user, peer: peer.address }, 'TURN peer refused by policy (media.turn.allowedPeers / deniedPeers)');
    this.error(msg, link, 403, 'Forbidden: peer address not allowed', auth);
  }

  private remove(a: Allocation): void {
    if (this.allocations.get(a.client.fiveTuple) !== a) return;
    this.allocations.delete(a.client.fiveTuple);
    this.o.quota.release(a.user);
    a.close();
    this.removedTotals.relayedPackets += a.counters.relayedPackets;
    this.removedTotals.relayedBytes += a.counters.relayedBytes;
    this.removedTotals.droppedPackets += a.counters.droppedPackets;
    this.removedTotals.allocations++;
    this.o.logger.debug({ user: a.user, client: a.client.fiveTuple, ...a.counters }, 'TURN allocation removed');
  }

  private success(msg: StunMessage, link: ClientLink, attrs: OutAttribute[], auth?: Authed): Buffer {
    return this.reply(msg, link, Class.Success, attrs, auth);
  }

  private error(msg: StunMessage, link: ClientLink, code: number, reason: string, auth?: Authed, attrs: OutAttribute[] = [], challenge = false): void {
    const head: OutAttribute[] = [{ type: Attr.ErrorCode, value: encodeErrorCode(code, reason) }];
    if (challenge) {
      head.push({ type: Attr.Realm, value: this.o.auth.realm }, { type: Attr.Nonce, value: this.o.auth.nonce(link.remote.address) });
    }
    this.reply(msg, link, Class.Error, [...head, ...attrs], auth);
  }

  private reply(msg: StunMessage, link: ClientLink, cls: typeof Class.Success | typeof Class.Error, attrs: OutAttribute[], auth?: Authed): Buffer {
    const out = seal(encodeStun(msg.method, cls, msg.transactionId, attrs), {
      key: auth?.key,
      sha256: auth?.sha256,
      fingerprint: msg.attributes.some((a) => a.type === Attr.Fingerprint),
    });
    link.send([out]);
    return out;
  }

  private internalError(msg: StunMessage, link: ClientLink, err: Error): void {
    this.o.logger.warn({ err: err.message, client: link.fiveTuple }, 'TURN request failed');
    try {
      this.error(msg, link, 500, 'Server Error');
    } catch {
      // the link is gone
    }
  }

  close(): void {
    this.closed = true;
    this.o.reservations.close();
    for (const a of [...this.allocations.values()]) this.remove(a);
  }
}
