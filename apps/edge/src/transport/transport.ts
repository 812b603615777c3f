import type { X509Certificate } from 'node:crypto';
import type { SecureContext } from 'node:tls';

export type ChannelBindings = Partial<Record<'tls-exporter' | 'tls-server-end-point', Buffer>>;

/**
 * How STARTTLS runs: as the TLS server (c2s, inbound s2s; `requestCert` asks the peer for its
 * certificate, checked by the stream rather than OpenSSL) or as the TLS client (outbound s2s).
 */
export type TlsUpgrade = { role: 'server'; requestCert?: boolean } | { role: 'client'; servername: string };

export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss';

/**
 * What the stream machine needs from a connection, the same for a TCP/TLS socket and a WebSocket.
 * Byte streams (TCP) hand out chunks for the stream parser; framed ones (RFC 7395) one element per
 * message.
 */
export interface Transport {
  readonly kind: TransportKind;
  readonly framed: boolean;
  readonly remoteAddress: string;
  /** Confidentiality is in place: TLS here, or at the trusted proxy in front of a plain ws port. */
  readonly secure: boolean;
  /** Plain c2s TCP that may still upgrade with STARTTLS. */
  readonly canStartTls: boolean;
  /** The negotiated TLS version, if TLS runs here. */
  tlsVersion(): string | undefined;
  channelBindings(): ChannelBindings;
  /** Certificate fingerprint in use on this connection (for logs and tests). */
  onData(cb: (data: Buffer | string) => void): void;
  onClose(cb: () => void): void;
  /**
   * Queues bytes for the peer. False once the connection's write buffer is at its high-water mark
   * (or the connection is gone): the caller should wait for `onDrain` before writing more.
   * `written`, when given, is called once: without an error when the bytes left this process (the
   * kernel took them), with one when they never will (the connection was destroyed first).
   */
  write(data: string | Uint8Array, written?: (err?: Error | null) => void): boolean;
  /** The write buffer emptied after a `write` returned false. */
  onDrain(cb: () => void): void;
  /** Bytes written but not yet taken by the peer (the kernel has not accepted them). */
  bufferedBytes(): number;
  /** RFC 6120 §4.6.1 whitespace ping; a WebSocket ping frame on RFC 7395. */
  keepalive(): void;
  startTls(context: SecureContext, upgrade?: TlsUpgrade): Promise<void>;
  /** The peer's certificate chain as sent, leaf first (empty without TLS or without a certificate). */
  peerCertificates(): X509Certificate[];
  pause(): void;
  resume(): void;
  /** Flushes and closes. */
  end(): void;
  destroy(): void;
}
