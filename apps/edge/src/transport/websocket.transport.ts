import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import { normaliseAddress } from './socket.transport.js';
import { tlsChannelBindings } from './channel-bindings.js';
import type { ChannelBindings, Transport } from './transport.js';

/** RFC 7395: one XML element per text message; TLS (if here) is the HTTPS server's. */
export class WebSocketTransport implements Transport {
  private bindings: ChannelBindings | undefined;
  readonly framed = true;
  readonly canStartTls = false;
  readonly kind: 'ws' | 'wss';
  readonly remoteAddress: string;
  readonly secure: boolean;
  private readonly tls: TLSSocket | undefined;
  private readonly highWaterMark: number;
  private drainCb: () => void = () => {};
  private dataCb: (data: string) => void = () => {};
  private closeCb: () => void = () => {};
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    req: IncomingMessage,
    opts: { tls: boolean; trustProxy: boolean },
  ) {
    this.kind = opts.tls ? 'wss' : 'ws';
    this.tls = opts.tls ? (req.socket as TLSSocket) : undefined;
    // A plain ws port is only enabled behind a TLS-terminating proxy (edge.wsEnabled): TLS is outside.
    this.secure = true;
    const forwarded = opts.trustProxy
      ? String(req.headers['x-forwarded-for'] ?? '')
          .split(',')[0]
          ?.trim()
      : '';
    this.remoteAddress = forwarded || normaliseAddress(req.socket.remoteAddress);
    ws.on('message', (data) => {
      if (this.closed) return;
      // A Buffer with ws's default binaryType; binary frames are read as UTF-8 text too.
      this.dataCb((data as Buffer).toString('utf8'));
    });
    ws.on('error', () => ws.terminate());
    // ws writes frames straight to the HTTP socket (no compression here): its buffer and its
    // 'drain' are the backpressure signal.
    this.highWaterMark = req.socket.writableHighWaterMark;
    req.socket.on('drain', () => this.drainCb());
    ws.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.closeCb();
    });
  }

  tlsVersion(): string | undefined {
    return this.tls?.getProtocol() ?? undefined;
  }

  channelBindings(): ChannelBindings {
    if (!this.tls) return {};
    return (this.bindings ??= tlsChannelBindings(this.tls));
  }

  onData(cb: (data: string) => void): void {
    this.dataCb = cb;
  }
  onClose(cb: () => void): void {
    this.closeCb = cb;
  }
  onDrain(cb: () => void): void {
    this.drainCb = cb;
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  write(data: string | Uint8Array, written?: (err?: Error | null) => void): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) {
      written?.(new Error('connection closed'));
      return false;
    }
    if (typeof data === 'string') this.ws.send(data, written);
    else this.ws.send(withClientNamespace(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')), written);
    return this.ws.bufferedAmount < this.highWaterMark;
  }
  keepalive(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }
  peerCertificates(): X509Certificate[] {
    return [];
  }

  startTls(): Promise<void> {
    return Promise.reject(new Error('no STARTTLS on WebSocket'));
  }
  pause(): void {
    this.ws.pause();
  }
  resume(): void {
    this.ws.resume();
  }
  end(): void {
    this.ws.close(1000);
  }
  destroy(): void {
    this.ws.terminate();
  }
}

/**
 * RFC 7395 §3.5: every WebSocket message is a standalone document, so a stanza must carry its
 * jabber:client namespace itself; stanzas on the bus are serialised without it (the TCP stream
 * declares it once).
 */
export function withClientNamespace(stanza: string): string {
  let i = 1;
  while (i < stanza.length && !/[\s/>]/.test(stanza[i]!)) i++;
  const nameEnd = i;
  let quote = '';
  for (; i < stanza.length; i++) {
    const c = stanza[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') break;
    else if (c === 'x' && /^\sxmlns\s*=/.test(stanza.slice(i - 1, i + 7))) return stanza;
  }
  return stanza.slice(0, nameEnd) + ' xmlns="jabber:client"' + stanza.slice(nameEnd);
}
