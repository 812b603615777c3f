import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomBytes, randomInt } from 'node:crypto';

/**
 * The relay's allocations by client 5-tuple, with the quotas of RFC 8656 §7.2 step 7-8: per user
 * (486 Allocation Quota Reached) and for the whole relay (508 Insufficient Capacity), and relay
 * ports taken from the configured range (508 when none can be bound).
 */
export interface RelayPortRange {
  address: string;
  min: number;
  max: number;
  /** RFC 8656 §14.6 EVEN-PORT. */
  even: boolean;
  /** EVEN-PORT's R bit: the next port (odd) is bound too, to be reserved (§7.2, §14.9). */
  pair: boolean;
  /** SO_RCVBUF and SO_SNDBUF (media.turn.udpBufferBytes). */
  bufferBytes: number;
}

/** Ports tried at random before trying the range in order from a random start; both bounded. */
const RANDOM_PORT_TRIES = 16;

export async function bindRelaySocket(range: RelayPortRange, maxTries: number): Promise<{ socket: UdpSocket; next?: UdpSocket } | undefined> {
  const span = range.max - range.min + 1;
  const tries = Math.min(span, maxTries);
  const start = randomInt(0, span);
  for (let i = 0; i < tries; i++) {
    const offset = i < RANDOM_PORT_TRIES ? randomInt(0, span) : (start + i) % span;
    let port = range.min + offset;
    if ((range.even || range.pair) && port % 2 === 1) port = port === range.max ? port - 1 : port + 1;
    if (port < range.min || (range.pair && port + 1 > range.max)) continue;
    const socket = await tryBind(range.address, port, range.bufferBytes);
    if (!socket) continue;
    if (!range.pair) return { socket };
    const next = await tryBind(range.address, port + 1, range.bufferBytes);
    if (next) return { socket, next };
    socket.close();
  }
  return undefined;
}

function tryBind(address: string, port: number, bufferBytes: number): Promise<UdpSocket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', recvBufferSize: bufferBytes, sendBufferSize: bufferBytes });
    const fail = (): void => {
      try {
        socket.close();
      } catch {
        // never bound
      }
      resolve(undefined);
    };
    socket.once('error', fail);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', fail);
      resolve(socket);
    });
  });
}

export class UserQuota {
  private readonly perUser = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerUser: number,
    private readonly maxTotal: number,
  ) {}

  /** 486 / 508 / ok, and counts the allocation in when ok. */
  take(user: string): 'ok' | 'user' | 'capacity' {
    const n = this.perUser.get(user) ?? 0;
    if (n >= this.maxPerUser) return 'user';
    if (this.total >= this.maxTotal) return 'capacity';
    this.perUser.set(user, n + 1);
    this.total++;
    return 'ok';
  }

  release(user: string): void {
    const n = this.perUser.get(user) ?? 0;
    if (n <= 1) this.perUser.delete(user);
    else this.perUser.set(user, n - 1);
    if (n > 0) this.total--;
  }

  get count(): number {
    return this.total;
  }
}

/**
 * Relay ports reserved by an Allocate with EVEN-PORT's R bit (RFC 8656 §7.2): the odd port next
 * to the allocated even one, held for a later Allocate with the RESERVATION-TOKEN, and released
 * after `lifetimeMs` (the RFC suggests about 30 s).
 */
export class Reservations {
  private readonly held = new Map<string, { socket: UdpSocket; timer: NodeJS.Timeout }>();

  constructor(
    private readonly lifetimeMs: number,
    /** Reserved ports held at once; past it an R bit reserves nothing (a port per request is not free). */
    private readonly max: number,
  ) {}

  /** A token for the held socket, or undefined (and the socket closed) when too many are held. */
  hold(socket: UdpSocket): Buffer | undefined {
    if (this.held.size >= this.max) {
      socket.close();
      return undefined;
    }
    const token = randomBytes(8);
    const key = token.toString('hex');
    const timer = setTimeout(() => {
      this.held.delete(key);
      socket.close();
    }, this.lifetimeMs);
    timer.unref();
    this.held.set(key, { socket, timer });
    return token;
  }

  take(token: Buffer): UdpSocket | undefined {
    const key = token.toString('hex');
    const r = this.held.get(key);
    if (!r) return undefined;
    this.held.delete(key);
    clearTimeout(r.timer);
    return r.socket;
  }

  close(): void {
    for (const r of this.held.values()) {
      clearTimeout(r.timer);
      r.socket.close();
    }
    this.held.clear();
  }
}
