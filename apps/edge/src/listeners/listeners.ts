import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions, type Server as TlsServer } from 'node:tls';
import { WebSocketServer } from 'ws';
import { landingPage } from '../features/xep-0401-invite/landing-page.js';
import type { GliderConfig } from '#libs/config';
import { OcspStapler } from '#libs/tls';
import type { Logger } from '#libs/telemetry';
import { SocketTransport } from '../transport/socket.transport.js';
import type { Transport } from '../transport/transport.js';
import { WebSocketTransport } from '../transport/websocket.transport.js';
import { tlsHandshakes } from '../edge.metrics.js';

export interface ListenerPorts {
  c2s: number;
  directTls: number;
  wss: number;
  ws?: number;
}

/**
 * The edge's listeners: c2s with STARTTLS, XEP-0368 direct TLS (ALPN xmpp-client), RFC 7395
 * WebSocket over TLS, and plain ws only behind a TLS-terminating proxy (edge.wsEnabled).
 */
export class Listeners {
  private readonly servers: (NetServer | TlsServer | HttpServer)[] = [];
  private readonly tlsServers: TlsServer[] = [];
  private readonly wss: WebSocketServer[] = [];
  ports: ListenerPorts = { c2s: 0, directTls: 0, wss: 0 };
  private stapler: OcspStapler | undefined;

  constructor(
    private readonly config: GliderConfig,
    private readonly logger: Logger,
    private readonly accept: (t: Transport) => void,
  ) {}

  async start(tls: SecureContextOptions): Promise<void> {
    const { edge } = this.config;
    const direct = createTlsServer({ ...tls, ALPNProtocols: ['xmpp-client'] }, (socket) => this.accept(new SocketTransport(socket)));
    direct.on('secureConnection', () => tlsHandshakes.direct.ok.add());
    direct.on('tlsClientError', (err) => {
      tlsHandshakes.direct.failed.add();
      this.logger.debug({ err: err.message }, 'direct TLS handshake failed');
    });
    this.staple(direct);
    // STARTTLS sockets name the direct-TLS server as theirs: Node asks a socket's server for OCSP staples.
    const c2s = createNetServer((socket) => this.accept(new SocketTransport(socket, direct)));
    this.tlsServers.push(direct);
    this.ports.c2s = await this.listen(c2s, edge.c2sPort);
    this.ports.directTls = await this.listen(direct, edge.directTlsPort);
    const https = createHttpsServer(tls);
    https.on('secureConnection', () => tlsHandshakes.websocket.ok.add());
    https.on('tlsClientError', (err) => {
      tlsHandshakes.websocket.failed.add();
      this.logger.debug({ err: err.message }, 'wss TLS handshake failed');
    });
    this.staple(https);
    this.tlsServers.push(https);
    // Plain HTTPS requests: the invitation landing page (features/xep-0401-invite) when invites are on; else 404.
    https.on('request', (req, res) => {
      if (this.config.invites.enabled && landingPage(req, res)) return;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
    this.ports.wss = await this.listen(https, edge.wssPort, () => this.websocket(https, true));
    if (edge.wsEnabled) {
      const http = createHttpServer();
      this.ports.ws = await this.listen(http, edge.wsPort, () => this.websocket(http, false));
    }
    this.logger.info({ ports: this.ports, host: edge.host }, 'edge listening');
  }

  /** tls.ocspStapling: staple the responder's answer when the certificate names one (libs/tls). */
  private staple(server: TlsServer): void {
    const { tls } = this.config;
    if (!tls.ocspStapling) return;
    this.stapler ??= new OcspStapler({ refreshMs: tls.ocspRefreshMs, timeoutMs: tls.ocspTimeoutMs, retryMs: tls.ocspRetryMs, logger: this.logger });
    server.on('OCSPRequest', this.stapler.onOcspRequest);
  }

  /** New handshakes get the new certificate; open connections keep theirs. */
  setSecureContext(tls: SecureContextOptions): void {
    for (const s of this.tlsServers) s.setSecureContext(tls);
  }

  /** Stops accepting at once; open connections stay (close's callback would wait for them). */
  stopAccepting(): void {
    for (const w of this.wss) w.close(); // does not close established clients in ws 8
    for (const s of this.servers) s.close();
    this.servers.length = 0;
  }

  private websocket(server: HttpServer, tls: boolean): void {
    const { edge } = this.config;
    const wss = new WebSocketServer({
      server,
      path: edge.wsPath,
      maxPayload: edge.limits.maxStanzaBytes,
      handleProtocols: (protocols) => (protocols.has('xmpp') ? 'xmpp' : false),
    });
    wss.on('error', (err) => this.logger.warn({ err: err.message }, 'websocket server error'));
    wss.on('connection', (ws, req) => {
      if (ws.protocol !== 'xmpp') return ws.close(1002, 'the xmpp subprotocol is required (RFC 7395)');
      this.accept(new WebSocketTransport(ws, req, { tls, trustProxy: !tls && edge.wsTrustProxy }));
    });
    this.wss.push(wss);
  }

  private listen(server: NetServer, port: number, before?: () => void): Promise<number> {
    before?.();
    server.on('error', (err) => this.logger.error({ err }, 'listener error'));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.config.edge.host, reusePort: this.config.edge.reusePort }, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  }
}
