import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthRegistry } from './health.js';
import { hasMetricsSources, mergedMetricsText } from './metrics-merge.js';
import { ensureMetrics } from './telemetry.js';

/** /healthz/live, /healthz/ready and /metrics on one port, for Kubernetes probes and Prometheus. */
export async function startHttpServer(health: HealthRegistry, host: string, port: number): Promise<{ server: Server; port: number }> {
  const prometheus = ensureMetrics();
  const server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz/live') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"live":true}');
    } else if (url === '/healthz/ready') {
      health.readiness().then(
        (r) => res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
        (err) => res.writeHead(500).end(String(err)),
      );
    } else if (url === '/metrics' && hasMetricsSources()) {
      // worker threads' metrics too (standalone's edge workers), each with its `worker` label
      mergedMetricsText().then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text),
        (err) => res.writeHead(500).end(String(err)),
      );
    } else if (url === '/metrics') {
      prometheus.getMetricsRequestHandler(req, res);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
