import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { freePort, waitFor } from '#libs/testing';
import { startCluster, type Cluster } from './harness/cluster.js';
import { addUser } from './harness/gliderctl.js';
import { connect, isMessageWithBody, trustCertificate, xml } from './harness/xmpp-client.js';

interface SpanSeen {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
}

/** A minimal OTLP/HTTP collector: keeps the spans the processes export as JSON. */
async function startCollector(): Promise<{ url: string; spans: SpanSeen[]; server: Server }> {
  const spans: SpanSeen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        try {
          for (const rs of JSON.parse(body).resourceSpans ?? []) {
            const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue ?? '';
            for (const ss of rs.scopeSpans ?? [])
              for (const s of ss.spans ?? []) spans.push({ service, name: s.name, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '' });
          }
        } catch {
          // not JSON (a protobuf exporter): ignored, and the test below says what it saw
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, spans, server };
}

describe('tracing', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let c: Cluster;
  before(async () => {
    collector = await startCollector();
    c = await startCluster({ edges: 2, routers: 2, env: { GLIDER_TELEMETRY__OTLP_ENDPOINT: collector.url } });
  });
  after(async () => {
    await c?.stop();
    collector?.server.close();
  });

  it("one message's trace crosses edge → NATS → router → NATS → edge", async () => {
    trustCertificate(c.certPem());
    await addUser('tina@localhost', 'tina-password', c.adminPort);
    await addUser('umar@localhost', 'umar-password', c.adminPort);
    const [e1, e2] = c.edges;
    const t = await connect(`xmpp://${e1!.host}:${e1!.c2sPort}`, 'tina', 'tina-password', 'pc');
    const u = await connect(`xmpp://${e2!.host}:${e2!.c2sPort}`, 'umar', 'umar-password', 'pc');
    try {
      await t.send(xml('message', { to: u.jid, type: 'chat', id: 'traced-1' }, xml('body', {}, 'follow me')));
      await u.waitFor('the traced message', isMessageWithBody('follow me'));
      const chain = () => {
        for (const route of collector.spans.filter((s) => s.name === 'edge.route')) {
          const routed = collector.spans.find((s) => s.name === 'router.route' && s.parentSpanId === route.spanId);
          const delivered = routed && collector.spans.find((s) => s.name === 'edge.deliver' && s.parentSpanId === routed.spanId);
          if (delivered) return [route, routed, delivered] as const;
        }
        return undefined;
      };
      await waitFor(() => chain() !== undefined, {
        timeoutMs: 40_000,
        intervalMs: 250,
        what: `edge.route → router.route → edge.deliver spans (saw ${collector.spans.length})`,
      });
      const [route, routed, delivered] = chain()!;
      assert.equal(routed.traceId, route.traceId);
      assert.equal(delivered.traceId, route.traceId);
      assert.match(route.service, /edge/);
      assert.match(routed.service, /router/);
      assert.match(delivered.service, /edge/);
    } finally {
      await t.stop();
      await u.stop();
    }
  });
});
