import { networkInterfaces } from 'node:os';
import type { SecureContextOptions } from 'node:tls';
import type { TurnConfig } from '#libs/config';
import { Reservations, UserQuota } from './allocation-table.js';
import { LongTermAuth } from './long-term-auth.js';
import { PeerPolicy } from './peer-policy.js';
import { TurnProcessor, type TurnLogger } from './turn-processor.js';
import { StreamTransport } from './transports/stream-transport.js';
import { UdpTransport } from './transports/udp-transport.js';

export interface TurnServerOptions {
  /** The TURN REST API shared secret as of now (a TurnSecret's `current`, re-read on rotation). */
  secret: () => string;
  /** REALM; media.turn.realm or the first of `domains`. */
  realm: string;
  /** Certificate and policy for the TLS listener (libs/tls, as the edge's); required when `tls` is served. */
  tls?: SecureContextOptions;
  logger?: TurnLogger;
  /** Clock for credential and nonce expiry (tests). */
  now?: () => number;
}

export interface TurnServer {
  /** Bound ports (useful when the config said 0); absent when the transport is not served. */
  ports: { udp?: number; tcp?: number; tls?: number };
  /** The address XOR-RELAYED-ADDRESS announces, and the one relay sockets bind. */
  relayAddress: { announced: string; bound: string };
  /** Live allocations; the others since start (ended allocations included). */
  stats(): { allocations: number; allocationsEnded: number; relayedBytes: number; relayedPackets: number; droppedPackets: number };
  /** New TLS handshakes use these (certificate rotation); open connections keep theirs. */
  setSecureContext(opts: SecureContextOptions): void;
  close(): Promise<void>;
}

const silent: TurnLogger = { info: () => {}, warn: () => {}, debug: () => {} };

/**
 * Starts the STUN/TURN relay on its own: what media-relay's feature and standalone call, and what
 * tests and the benchmark call with a config of their own (ports 0 = free ports).
 */
export async function startTurnServer(turn: TurnConfig, opts: TurnServerOptions): Promise<TurnServer> {
  const logger = opts.logger ?? silent;
  const now = opts.now ?? Date.now;
  if (turn.transports.includes('tls') && !opts.tls) throw new Error('media.turn.transports has tls but no certificate was given');
  const bound = relayBindAddress(turn);
  const announced = turn.publicAddress ?? bound;
  const wildcard = (a: string): boolean => a === '0.0.0.0' || a === '::';
  if (wildcard(announced)) throw new Error('media.turn.publicAddress is required when the relay binds a wildcard address (media.turn.relayAddress)');
  const ports: TurnServer['ports'] = {};
  const own = new Set([bound, announced, ...(wildcard(turn.host) ? interfaceAddresses() : [turn.host])]);
  const policy = new PeerPolicy({
    allowedPeers: turn.allowedPeers,
    deniedPeers: turn.deniedPeers,
    ownAddresses: [...own],
    isListenerPort: (p) => p === ports.udp || p === ports.tcp || p === ports.tls,
    isRelayPort: (p) => p >= turn.relayPortMin && p <= turn.relayPortMax,
  });
  const processor = new TurnProcessor({
    auth: new LongTermAuth({ realm: opts.realm, secret: opts.secret, nonceLifetimeSec: turn.nonceLifetimeSec, now }),
    policy,
    limits: {
      permissionLifetimeMs: turn.permissionLifetimeSec * 1000,
      channelLifetimeMs: turn.channelLifetimeSec * 1000,
      maxPermissions: turn.maxPermissionsPerAllocation,
      maxChannels: turn.maxChannelsPerAllocation,
      bandwidthBytesPerSecond: turn.bandwidthBytesPerSecond,
      bandwidthBurstBytes: turn.bandwidthBurstBytes,
      maxBytes: turn.maxBytesPerAllocation,
    },
    relayBind: bound,
    relayAnnounce: announced,
    relayPortMin: turn.relayPortMin,
    relayPortMax: turn.relayPortMax,
    udpBufferBytes: turn.udpBufferBytes,
    allocationLifetimeSec: turn.allocationLifetimeSec,
    maxAllocationLifetimeSec: turn.maxAllocationLifetimeSec,
    quota: new UserQuota(turn.maxAllocationsPerUser, turn.maxAllocations),
    reservations: new Reservations(turn.reservationLifetimeSec * 1000, turn.maxAllocations),
    now,
    logger,
  });
  const onPacket = processor.handle.bind(processor);
  const udp = turn.transports.includes('udp')
    ? new UdpTransport(turn.host, turn.udpPort, onPacket, (err) => logger.warn({ err: err.message }, 'TURN UDP socket error'), turn.udpBufferBytes)
    : undefined;
  const streams = (['tcp', 'tls'] as const)
    .filter((k) => turn.transports.includes(k))
    .map((kind) => ({
      kind,
      transport: new StreamTransport({
        kind,
        host: turn.host,
        port: kind === 'tcp' ? turn.tcpPort : turn.tlsPort,
        tls: opts.tls,
        maxConnections: turn.maxConnections,
        maxConnectionsPerIp: turn.maxConnectionsPerIp,
        idleTimeoutMs: turn.idleTimeoutSec * 1000,
        maxQueuedBytes: turn.maxQueuedBytesPerConnection,
        hasAllocation: (t) => processor.allocations.has(t),
        onPacket,
        onClose: (t) => processor.clientGone(t),
        onError: (err, t) => logger.debug({ err: err.message, client: t }, 'TURN stream closed: unframeable data'),
        onListenerError: (err) => logger.warn({ err: err.message, transport: kind }, 'TURN listener error'),
      }),
    }));
  const started: { close(): Promise<void> }[] = [];
  try {
    if (udp) {
      ports.udp = await udp.start();
      started.push(udp);
    }
    for (const s of streams) {
      ports[s.kind] = await s.transport.start();
      started.push(s.transport);
    }
  } catch (err) {
    processor.close();
    await Promise.all(started.map((s) => s.close()));
    throw err;
  }
  logger.info({ ports, relay: `${announced} (bound ${bound}) ${turn.relayPortMin}-${turn.relayPortMax}`, realm: opts.realm }, 'TURN relay listening');
  return {
    ports,
    relayAddress: { announced, bound },
    stats: () => {
      const all = [...processor.allocations.values()];
      const t = processor.removedTotals;
      const sum = (k: 'relayedBytes' | 'relayedPackets' | 'droppedPackets'): number => all.reduce((n, a) => n + a.counters[k], t[k]);
      return {
        allocations: all.length,
        allocationsEnded: t.allocations,
        relayedBytes: sum('relayedBytes'),
        relayedPackets: sum('relayedPackets'),
        droppedPackets: sum('droppedPackets'),
      };
    },
    setSecureContext: (o) => streams.forEach((s) => s.transport.setSecureContext(o)),
    close: async () => {
      processor.close();
      await Promise.all(started.map((s) => s.close()));
    },
  };
}

/** media.turn.relayAddress, else a specific `host`, else the first external IPv4 of this machine. */
function relayBindAddress(turn: TurnConfig): string {
  if (turn.relayAddress) return turn.relayAddress;
  if (turn.host !== '0.0.0.0' && turn.host !== '::') return turn.host;
  return interfaceAddresses().find((a) => !a.includes(':')) ?? '127.0.0.1';
}

function interfaceAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined && !i.internal)
    .map((i) => i!.address);
}
