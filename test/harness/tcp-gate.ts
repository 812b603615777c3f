import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder on loopback that a test can close and open: while closed it refuses every new
 * connection (accepts and destroys it at once), as a network that lets one process reach its
 * server later than the others. A connection open through it ends when either side ends.
 */
export class TcpGate {
  private open = true;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Forwards to `targetPort()` (read at each connection: the target may move). */
  static async start(targetPort: () => number): Promise<TcpGate> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('TcpGate: no port');
    const gate = new TcpGate(server, address.port);
    server.on('connection', (client) => gate.forward(client, targetPort()));
    return gate;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** New connections are refused until open(); the open ones are left alone. */
  close(): void {
    this.open = false;
  }

  reopen(): void {
    this.open = true;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, port: number): void {
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.once('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
      s.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
