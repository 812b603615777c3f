import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer, type TLSSocket } from 'node:tls';
import type { ClientLink } from '../allocation.js';
import { nextFrame } from '../channel-data.codec.js';

export interface StreamTransportOptions {
  kind: 'tcp' | 'tls';
  host: string;
  port: number;
  tls?: SecureContextOptions;
  maxConnections: number;
  maxConnectionsPerIp: number;
  idleTimeoutMs: number;
  /** Bytes queued for a TLS client that does not read fast enough; past it, relayed data is dropped. */
  maxQueuedBytes: number;
  /** True while the connection's 5-tuple holds an allocation (it is then not idle-closed). */
  hasAllocation: (fiveTuple: string) => boolean;
  onPacket: (buf: Buffer, link: ClientLink) => void;
  onClose: (fiveTuple: string) => void;
  /** A client's stream could not be framed (it is closed). */
  onError: (err: Error, fiveTuple: string) => void;
  onListenerError: (err: Error) => void;
}

/** Bytes buffered from one connection before a frame completes: the largest frame is 20 + 65535. */
const MAX_BUFFERED = 20 + 0xffff + 4;

/**
 * STUN/TURN over TCP and over TLS (RFC 8656 §3.1, "turns"): a byte stream framed by the STUN
 * length or the padded ChannelData length (§12.5); one connection is one 5-tuple, and its
 * allocation ends when it closes. A stream that cannot be framed is closed.
 */
export class StreamTransport {
  private server: Server | TlsServer | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly perIp = new Map<string, number>();

  constructor(private readonly o: StreamTransportOptions) {}

  async start(): Promise<number> {
    const server =
      this.o.kind === 'tls'
        ? createTlsServer({ ...this.o.tls, handshakeTimeout: this.o.idleTimeoutMs }, (s) => this.accept(s))
        : createServer((s) => this.accept(s));
    this.server = server;
    if (this.o.kind === 'tls') server.on('tlsClientError', () => {}); // a failed handshake is the client's problem
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.o.host, port: this.o.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // after listening, an 'error' (EMFILE on accept) is logged, never an uncaught exception
    server.on('error', (err: Error) => this.o.onListenerError(err));
    const addr = server.address();
    return typeof addr === 'object' && addr ? addr.port : 0;
  }

  setSecureContext(opts: SecureContextOptions): void {
    if (this.server && 'setSecureContext' in this.server) this.server.setSecureContext(opts);
  }

  private accept(socket: Socket | TLSSocket): void {
    const ip = (socket.remoteAddress ?? '').replace(/^::ffff:/i, '');
    const count = this.perIp.get(ip) ?? 0;
    if (this.sockets.size >= this.o.maxConnections || count >= this.o.maxConnectionsPerIp) return void socket.destroy();
    this.sockets.add(socket);
    this.perIp.set(ip, count + 1);
    const local = {
      family: socket.localFamily === 'IPv6' ? 6 : 4,
      address: (socket.localAddress ?? '').replace(/^::ffff:/i, ''),
      port: socket.localPort ?? 0,
    } as const;
    const remote = { family: ip.includes(':') ? 6 : 4, address: ip, port: socket.remotePort ?? 0 } as const;
    const link: ClientLink = {
      transport: this.o.kind,
      remote,
      local,
      fiveTuple: `${this.o.kind}|${ip}|${remote.port}|${local.address}|${local.port}`,
      stream: true,
      send:
        this.o.kind === 'tls'
          ? recordWriter(socket, this.o.maxQueuedBytes)
          : (chunks) => void (socket.writable && socket.write(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))),
    };
    socket.setNoDelay(true);
    // Node fires 'timeout' once per idle spell: re-arm it while an allocation holds the connection,
    // so one left silent after its allocation expired is still closed
    const onIdle = (): void => {
      if (this.o.hasAllocation(link.fiveTuple)) socket.setTimeout(this.o.idleTimeoutMs);
      else socket.destroy();
    };
    socket.setTimeout(this.o.idleTimeoutMs);
    socket.on('timeout', onIdle);
    let buffered: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      // each pass consumes one whole frame, so the loop ends within buffered.length / 4 passes
      while (buffered.length) {
        const f = nextFrame(buffered);
        if (f.kind === 'need') break;
        if (f.kind === 'error') {
          this.o.onError(new Error(f.reason), link.fiveTuple);
          return void socket.destroy();
        }
        if (buffered.length < f.length) break;
        this.o.onPacket(buffered.subarray(0, f.length), link);
        buffered = buffered.subarray(f.length);
      }
      if (buffered.length > MAX_BUFFERED) socket.destroy();
    });
    socket.on('error', () => {}); // 'close' follows
    socket.on('close', () => {
      this.sockets.delete(socket);
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
      this.o.onClose(link.fiveTuple);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const s of this.sockets) s.destroy();
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server = undefined;
    });
  }
}

/**
 * One TLS record per message: clients in use (coturn's uclient among them) read a record and
 * expect one whole STUN or ChannelData message in it, while Node merges writes queued behind a
 * pending one into one record. So a message is written only when the previous one has been
 * handed to the kernel. What waits is bounded: a relay drops datagrams rather than queue them.
 */
function recordWriter(socket: Socket, maxQueuedBytes: number): (chunks: Buffer[]) => void {
  const queue: Buffer[] = [];
  let queued = 0;
  let inFlight = false;
  const next = (): void => {
    const buf = queue.shift();
    if (!buf || !socket.writable) {
      inFlight = false;
      return;
    }
    queued -= buf.length;
    inFlight = true;
    socket.write(buf, () => next());
  };
  return (chunks) => {
    if (!socket.writable) return;
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (queued + buf.length > maxQueuedBytes) return;
    queue.push(buf);
    queued += buf.length;
    if (!inFlight) next();
  };
}
