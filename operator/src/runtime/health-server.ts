import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * /healthz/live (the process answers) and /healthz/ready (its caches have synced), for the
 * kubelet's probes. /healthz/leader says whether this replica holds the Lease (for humans);
 * /metrics the operator's own Prometheus metrics.
 */
export class HealthServer {
  private readonly server: Server;

  constructor(private readonly probes: { ready: () => boolean; leader: () => boolean; metrics?: () => string }) {
    this.server = createServer((req, res) => {
      const ok = (yes: boolean) => {
        res.writeHead(yes ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(yes ? 'ok\n' : 'not ready\n');
      };
      if (req.url === '/healthz/live') return ok(true);
      if (req.url === '/healthz/ready') return ok(this.probes.ready());
      if (req.url === '/healthz/leader') return ok(this.probes.leader());
      if (req.url === '/metrics' && this.probes.metrics) {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        return void res.end(this.probes.metrics());
      }
      res.writeHead(404).end();
    });
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(port, host, resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
