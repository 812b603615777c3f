import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { connect as connectTls, TLSSocket, type SecureContext, type Server as TlsServer } from 'node:tls';
import { tlsChannelBindings } from './channel-bindings.js';
import type { ChannelBindings, TlsUpgrade, Transport } from './transport.js';
import { tlsHandshakes } from '../edge.metrics.js';

/** A TCP socket (c2s, may upgrade with STARTTLS) or a direct-TLS socket (XEP-0368). */
export class SocketTransport implements Transport {
  readonly framed = false;
  readonly remoteAddress: string;
  private socket: Socket;
  private dataCb: (data: Buffer) => void = () => {};
  private closeCb: () => void = () => {};
  private drainCb: () => void = () => {};
  private closed = false;
  private corked = false;
  private bindings: ChannelBindings | undefined;

  /** `tlsServer`: the server STARTTLS sockets belong to, whose OCSPRequest listener staples for them. */
  constructor(
    socket: Socket,
    private readonly tlsServer?: TlsServer,
  ) {
    // TCP_NODELAY: writes are already coalesced per tick (below), so Nagle only adds latency; with
    // it, a reply written right after another (a ping result after a presence echo) waited for the
    // client's delayed ACK, 40 ms on Linux. The socket keeps the flag across STARTTLS.
    socket.setNoDelay(true);
    this.socket = socket;
    this.remoteAddress = normaliseAddress(socket.remoteAddress);
    this.attach(socket);
  }

  get kind(): 'tcp' | 'tls' {
    return this.socket instanceof TLSSocket ? 'tls' : 'tcp';
  }
  get secure(): boolean {
    return this.socket instanceof TLSSocket && this.socket.encrypted;
  }
  get canStartTls(): boolean {
    return !(this.socket instanceof TLSSocket);
  }

  tlsVersion(): string | undefined {
    return this.socket instanceof TLSSocket ? (this.socket.getProtocol() ?? undefined) : undefined;
  }

  channelBindings(): ChannelBindings {
    if (!(this.socket instanceof TLSSocket)) return {};
    return (this.bindings ??= tlsChannelBindings(this.socket));
  }

  onData(cb: (data: Buffer) => void): void {
    this.dataCb = cb;
  }
  onClose(cb: () => void): void {
    this.closeCb = cb;
  }
  onDrain(cb: () => void): void {
    this.drainCb = cb;
  }

  /**
   * Writes made in one tick leave as one syscall (and one TLS record where they fit): a burst of
   * deliveries to a session costs one write(2), not one per stanza.
   */
  write(data: string | Uint8Array, written?: (err?: Error | null) => void): boolean {
    if (this.closed || !this.socket.writable) {
      written?.(new Error('connection closed'));
      return false;
    }
    if (!this.corked) {
      this.corked = true;
      const socket = this.socket;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    return this.socket.write(data, written);
  }
  bufferedBytes(): number {
    return this.socket.writableLength;
  }
  keepalive(): void {
    this.write(' ');
  }
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }
  end(): void {
    this.socket.end();
  }
  destroy(): void {
    this.socket.destroy();
  }

  peerCertificates(): X509Certificate[] {
    if (!(this.socket instanceof TLSSocket)) return [];
    const out: X509Certificate[] = [];
    const seen = new Set<string>();
    for (let c = this.socket.getPeerCertificate(true); c?.raw && out.length < 16; c = c.issuerCertificate) {
      if (seen.has(c.fingerprint256)) break; // a self-signed root is its own issuer
      seen.add(c.fingerprint256);
      out.push(new X509Certificate(c.raw));
    }
    return out;
  }

  /**
   * RFC 6120 §5.4.3.3: TLS starts right after <proceed/> (ours as the server, the peer's as the
   * client, outbound s2s); the old socket keeps no listeners. Peer certificates are never rejected
   * by OpenSSL here: the s2s stream checks them itself (libs/federation).
   */
  startTls(context: SecureContext, upgrade: TlsUpgrade = { role: 'server' }): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('drain');
    const tls =
      upgrade.role === 'server'
        ? new TLSSocket(plain, {
            isServer: true,
            secureContext: context,
            server: this.tlsServer,
            requestCert: upgrade.requestCert ?? false,
            rejectUnauthorized: false,
          })
        : connectTls({ socket: plain, secureContext: context, servername: upgrade.servername, rejectUnauthorized: false });
    this.socket = tls;
    this.attach(tls);
    // The handshake listeners go once it settles: left on the socket, the unfired 'close'/'error'
    // ones kept this promise, its resolvers and their closures alive for the connection's lifetime.
    // Errors after the handshake are still handled by attach()'s listener.
    return new Promise((resolve, reject) => {
      const settle = (err?: Error): void => {
        tls.off('secure', onSecure);
        tls.off('secureConnect', onSecure);
        tls.off('close', onClose);
        tls.off('error', settle);
        tlsHandshakes.starttls[err ? 'failed' : 'ok'].add();
        if (err) reject(err);
        else resolve();
      };
      const onSecure = (): void => settle();
      const onClose = (): void => settle(new Error('closed during the TLS handshake'));
      tls.on(upgrade.role === 'server' ? 'secure' : 'secureConnect', onSecure);
      tls.on('close', onClose);
      tls.on('error', settle);
    });
  }

  private attach(socket: Socket): void {
    socket.on('data', (d: Buffer) => this.dataCb(d));
    socket.on('drain', () => this.drainCb());
    socket.on('error', () => socket.destroy()); // reported through 'close'
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.closeCb();
    });
  }
}

/** '::ffff:10.0.0.1' → '10.0.0.1', so per-IP limits count one client once. */
export function normaliseAddress(addr: string | undefined): string {
  if (!addr) return 'unknown';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
