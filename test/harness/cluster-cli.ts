import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';

const passThrough = (): Record<string, string> =>
  Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[0].startsWith('GLIDER_') && e[1] !== undefined));

/** `npm run cluster`: starts the local cluster on the standard ports and keeps it up until Ctrl-C. */
export async function cluster(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'nats-url': { type: 'string' },
      'data-dir': { type: 'string' },
      'base-port': { type: 'string', default: '5222' },
    },
  });
  const base = Number(values['base-port']);
  if (!Number.isInteger(base) || base < 1 || base > 55000) {
    process.stderr.write(`cluster: --base-port must be a port number, got ${values['base-port']}\n`);
    process.exit(2);
  }
  const edgePorts = [0, 10000].map((off) => ({ c2sPort: base + off, directTlsPort: base + 1 + off, wssPort: base + 221 + off, wsPort: base + 58 + off }));
  const c = await startCluster({
    natsUrl: values['nats-url'],
    dataDir: values['data-dir'],
    edgePorts,
    adminPort: base + 360,
    logLevel: 'info',
    env: passThrough(),
  });
  process.stdout.write(
    [
      `Glider cluster up (domain ${c.domain}); logs in ${c.dataDir}`,
      `  nats-server ${c.natsUrl}`,
      ...c.edges.map((e, i) => `  edge-${i + 1}: c2s ${e.c2sPort} (STARTTLS), ${e.directTlsPort} (direct TLS), wss ${e.wssPort}`),
      `  admin gRPC 127.0.0.1:${c.adminPort}: npm run gliderctl -- --server 127.0.0.1:${c.adminPort} --token-file ${join(c.dataDir, 'admin-token')} user add alice@localhost`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await c.stop();
    process.exit(0);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop());
}
