import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * /healthz/live (the process answers) and /healthz/ready (its caches have synced), for the
 * kubelet's probes. /healthz/leader says whether this replica holds the Lease (for humans);
 * /metrics the operator's metrics, served by the OpenTelemetry Prometheus exporter (libs/telemetry).
 */
export class HealthServer {
  private readonly server: Server;

  constructor(private readonly probes: { ready: () => boolean; leader: () => boolean; metrics?: (req: IncomingMessage, res: ServerResponse) => void }) {
    this.server = createServer((req, res) => {
      const ok = (yes: boolean) => {
        res.writeHead(yes ? 200 : 503, { 'content-type': 'text/plain' });
        res.end(yes ? 'ok\n' : 'not ready\n');
      };
      if (req.url === '/healthz/live') return ok(true);
      if (req.url === '/healthz/ready') return ok(this.probes.ready());
      if (req.url === '/healthz/leader') return ok(this.probes.leader());
      if (req.url === '/metrics' && this.probes.metrics) return this.probes.metrics(req, res);
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
