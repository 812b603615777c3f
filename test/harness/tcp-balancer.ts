import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer on loopback, as a Kubernetes Service in front of several replicas: each new
 * connection goes to the next target in turn. Bytes are piped both ways with half-close kept
 * (a side's FIN is passed on after its bytes), so a transfer through it arrives whole.
 */
export class TcpBalancer {
  private next = 0;
  private readonly sockets = new Set<Socket>();
  /** How many connections went to each target, in target order. */
  readonly counts: number[];

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly targets: number[],
  ) {
    this.counts = targets.map(() => 0);
  }

  /** `listen`: where it listens (127.0.0.1 on a free port when absent), e.g. a peer's fixed 5269 on an address of the test's own. */
  static async start(targets: number[], listen: { host?: string; port?: number } = {}): Promise<TcpBalancer> {
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', resolve);
    });
    const b = new TcpBalancer(server, (server.address() as AddressInfo).port, targets);
    server.on('connection', (client) => b.forward(client));
    return b;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    const i = this.next++ % this.targets.length;
    this.counts[i]!++;
    const upstream = connect({ host: '127.0.0.1', port: this.targets[i]!, allowHalfOpen: true });
    let closed = 0;
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.once('close', () => {
        this.sockets.delete(s);
        if (++closed === 2) return;
        // One side is fully gone: the other gets what is buffered, then its end.
        (s === client ? upstream : client).end();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
