import type { Logger } from '#libs/telemetry';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Socks5Handshake } from './socks5-handshake.machine.js';
import type { RepCode } from './socks5.codec.js';

/** A connection that finished its CONNECT: paused, its handshake listeners removed. */
export interface ConnectRequest {
  hash: string;
  port: number;
  socket: Socket;
  /** Bytes the client pipelined behind its request. */
  early: Buffer;
  /** Sends the CONNECT reply (success or refusal); a refusal also closes the socket. */
  answer(rep: RepCode): void;
}

export interface ListenerOptions {
  host: string;
  port: number;
  handshakeTimeoutMs: number;
  /** Connections accepted at once (handshaking, pending, relaying, forwarded); Node refuses more. */
  maxConnections: number;
}

export type ListenerLog = Pick<Logger, 'debug'>;

/**
 * The TCP side of the proxy (RFC 1928 over XEP-0065's profile): accepts connections, runs the
 * handshake under a time limit, and hands each valid CONNECT to `onConnect`. What happens to the
 * hash (pair, forward, refuse) is the caller's decision.
 */
export class Socks5Listener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(
    private readonly opts: ListenerOptions,
    private readonly onConnect: (req: ConnectRequest) => void,
    private readonly log: ListenerLog,
  ) {}

  async start(): Promise<number> {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.accept(socket));
    server.maxConnections = this.opts.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socks5 connection error'));
    const machine = new Socks5Handshake();
    const timer = setTimeout(() => {
      this.log.debug({ remote: socket.remoteAddress }, 'socks5 handshake timed out');
      socket.destroy();
    }, this.opts.handshakeTimeoutMs);
    timer.unref();
    const stop = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
    };
    const onEnd = () => {
      stop();
      socket.destroy();
    };
    const onData = (chunk: Buffer) => {
      const step = machine.feed(chunk);
      if (step.write && !socket.destroyed) socket.write(step.write);
      if (step.kind === 'more') return;
      stop();
      if (step.kind === 'refuse') {
        this.log.debug({ reason: step.reason, remote: socket.remoteAddress }, 'socks5 connection refused');
        socket.end(() => socket.destroy());
        return;
      }
      socket.pause();
      const { hash, port, early } = step;
      let answered = false;
      this.onConnect({
        hash,
        port,
        socket,
        early,
        answer: (rep) => {
          if (answered || socket.destroyed) return;
          answered = true;
          socket.write(Socks5Handshake.answer(rep, hash, port));
          if (rep !== 0) socket.end(() => socket.destroy());
        },
      });
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
  }
}
