import { createServer } from 'node:net';
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster, type Cluster, type StopEvent } from './cluster.js';

const passThrough = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('GLIDER_') && e[1] !== undefined));

export const USAGE = `npm run cluster -- [options]
  --data-dir DIR       embedded database, self-signed certificate and logs (default data/cluster; kept across runs)
  --base-port N        edge-1 on N (c2s), N+1 (direct TLS), N+221 (wss); edge-2 the same +10000;
                       admin gRPC N+360; health/metrics N+3869..N+3873 (default 5222; 0 = free ports)
  --nats-url URL       use a running nats-server instead of starting one
  --drain-timeout-ms N how long edges wait for clients to leave when stopping (default 2000)
  --mucs N             muc replicas (group chat, apps/muc; default 0: none, muc.enabled off)
Settings: GLIDER_* env variables reach every process (e.g. GLIDER_STORAGE__KIND=mongodb).`;

/** Health/metrics ports by process name, from the base port (free ports when it is 0). */
function httpPorts(base: number): Record<string, number> | undefined {
  if (base === 0) return undefined;
  const names = ['router-1', 'router-2', 'presence-1', 'edge-1', 'edge-2'];
  return Object.fromEntries(names.map((n, i) => [n, base + 3869 + i]));
}

/** Every fixed port the cluster will listen on, named (nats-server takes a free one). */
function fixedPorts(base: number, http: Record<string, number>): { what: string; port: number }[] {
  const edges = [0, 10000].flatMap((off, i) => [
    { what: `edge-${i + 1} c2s`, port: base + off },
    { what: `edge-${i + 1} direct TLS`, port: base + 1 + off },
    { what: `edge-${i + 1} wss`, port: base + 221 + off },
  ]);
  return [...edges, { what: 'router-1 admin gRPC', port: base + 360 }, ...Object.entries(http).map(([n, port]) => ({ what: `${n} health/metrics`, port }))];
}

/** Every port a cluster on `base` (> 0) listens on, for a caller that picks a base (bench:compare). */
export function clusterPorts(base: number): number[] {
  return fixedPorts(base, httpPorts(base)!).map((p) => p.port);
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const s = createServer();
    s.once('error', () => done(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => done(true)));
  });

/** What a newcomer needs to know at start: every port, where the data, certificate and logs are. */
export function describeCluster(c: Cluster): string {
  const edges = c.byRole('edge');
  const line = (name: string, what: string) => `  ${name.padEnd(12)}${what}`;
  return [
    `Glider cluster up (domain ${c.domain})`,
    line('nats-server', c.natsUrl + (c.nats ? ` (JetStream in a temporary store, pid ${c.nats.pid})` : ' (yours)')),
    ...c
      .byRole('router')
      .map((p) => line(p.role, `health/metrics http://127.0.0.1:${p.httpPort}/metrics${p.role === 'router-1' ? `, admin gRPC 127.0.0.1:${c.adminPort}` : ''}`)),
    ...c.byRole('presence').map((p) => line(p.role, `health/metrics http://127.0.0.1:${p.httpPort}/metrics`)),
    ...c.edges.map((e, i) =>
      line(
        `edge-${i + 1}`,
        `c2s ${e.c2sPort} (STARTTLS), ${e.directTlsPort} (direct TLS), wss ${e.wssPort}, health/metrics http://127.0.0.1:${edges[i]?.httpPort}/metrics`,
      ),
    ),
    line('data', `${c.dataDir} (SQLite ${join(c.dataDir, 'glider.db')}; kept across runs)`),
    line('certificate', `${join(c.dataDir, 'tls', 'self-signed.crt')} (self-signed; GLIDER_TLS__CERT_FILE/KEY_FILE bring your own)`),
    line('logs', c.logDir),
    `  add a user: npm run gliderctl -- --server 127.0.0.1:${c.adminPort} --token-file ${join(c.dataDir, 'admin-token')} user add alice@localhost`,
    '  Ctrl-C stops everything (edges drain, then routers and presence, then nats-server).',
    '',
  ].join('\n');
}

/** `npm run cluster`: starts the local cluster on the standard ports and keeps it up until Ctrl-C. */
export async function cluster(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'nats-url': { type: 'string' },
        'data-dir': { type: 'string', default: 'data/cluster' },
        'base-port': { type: 'string', default: '5222' },
        'drain-timeout-ms': { type: 'string', default: '2000' },
        mucs: { type: 'string', default: '0' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`cluster: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const base = Number(values['base-port']);
  const drain = Number(values['drain-timeout-ms']);
  if (!Number.isInteger(base) || base < 0 || base > 55000 || (base > 0 && base < 1024)) {
    process.stderr.write(`cluster: --base-port must be 0 (free ports) or a port from 1024 to 55000, got ${values['base-port']}\n`);
    process.exit(2);
  }
  if (!Number.isInteger(drain) || drain < 0) {
    process.stderr.write(`cluster: --drain-timeout-ms must be a whole number of milliseconds, got ${values['drain-timeout-ms']}\n`);
    process.exit(2);
  }
  if (base > 0) {
    // Before anything starts or a file is written: a second cluster (or standalone) on these ports.
    const taken = [];
    for (const p of fixedPorts(base, httpPorts(base)!)) if (!(await canListen(p.port))) taken.push(`${p.port} (${p.what})`);
    if (taken.length > 0) {
      process.stderr.write(
        `cluster: port ${taken.join(', ')} already in use, by another npm run cluster, npm start or XMPP server? ` +
          `Stop it, or move every port with --base-port N (e.g. --base-port ${base + 20000 <= 55000 ? base + 20000 : 25222}), or --base-port 0 for free ports.\n`,
      );
      process.exit(2);
    }
  }
  const mucs = Number(values.mucs);
  if (!Number.isInteger(mucs) || mucs < 0 || mucs > 8) {
    process.stderr.write(`cluster: --mucs must be a whole number from 0 to 8, got ${values.mucs}\n`);
    process.exit(2);
  }
  const dataDir = resolve(values['data-dir']);
  const edgePorts =
    base === 0
      ? undefined
      : [0, 10000].map((off) => ({ c2sPort: base + off, directTlsPort: base + 1 + off, wssPort: base + 221 + off, wsPort: base + 58 + off }));
  let stopping: Promise<void> | undefined;
  const up: { cluster?: Cluster } = {};
  // Installed before anything starts: a Ctrl-C while starting stops what is up, in order.
  const stop = (signal: string) => {
    stopping ??= (async () => {
      const c = up.cluster;
      if (!c) return; // the start below sees `stopping` and ends
      const began = process.hrtime.bigint();
      process.stdout.write(`${signal}: stopping\n`);
      const events = await c.stopInOrder((e: StopEvent) =>
        process.stdout.write(`  stopped ${e.name} (${e.phase}, exit ${e.code ?? 'signal'}${e.alreadyExited ? ', had already exited' : ''})\n`),
      );
      const seconds = Number(process.hrtime.bigint() - began) / 1e9;
      process.stdout.write(`stopped in ${seconds.toFixed(1)} s\n`);
      process.exit(events.every((e) => !e.alreadyExited && (e.code === 0 || e.code === null)) ? 0 : 1);
    })();
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
  const c = await startCluster({
    natsUrl: values['nats-url'],
    dataDir,
    logDir: join(dataDir, 'logs'),
    edgePorts,
    ...(base === 0 ? {} : { adminPort: base + 360 }),
    httpPorts: httpPorts(base),
    logLevel: 'info',
    detached: true,
    // muc replicas: every process knows the service is on (the router lists it in disco#items)
    mucs,
    env: { GLIDER_EDGE__DRAIN_TIMEOUT_MS: String(drain), ...(mucs > 0 ? { GLIDER_MUC__ENABLED: 'true' } : {}), ...passThrough() },
  });
  up.cluster = c;
  if (stopping) {
    stopping = undefined;
    stop('stop requested while starting');
    return;
  }
  process.stdout.write(describeCluster(c));
}
