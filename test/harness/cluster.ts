import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNatsServer } from '#libs/testing';
import { startGlider, type GliderProcess } from './glider-process.js';
import { edgeEnv, type Deployment } from './standalone.js';
import { registerAdminToken } from './gliderctl.js';

export interface ClusterOptions {
  edges?: number;
  routers?: number;
  /** A running nats-server; started (and stopped) here when absent. */
  natsUrl?: string;
  /** Extra GLIDER_* settings for every process (e.g. storage on MongoDB). */
  env?: Record<string, string>;
  dataDir?: string;
  logLevel?: string;
  /** Fixed ports per edge (the `npm run cluster` command); free ports otherwise. */
  edgePorts?: { c2sPort: number; directTlsPort: number; wssPort: number; wsPort: number }[];
  adminPort?: number;
  host?: string;
}

export interface Cluster extends Deployment {
  natsUrl: string;
  dataDir: string;
  byRole(role: string): GliderProcess[];
}

/**
 * The local cluster: a real nats-server, N routers, one presence, M edges on loopback, each its
 * own process. Embedded storage is shared through one SQLite file in `dataDir` (a development
 * setting: real clusters set storage.kind=mongodb).
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'glider-cluster-'));
  const nats = opts.natsUrl ? undefined : await startNatsServer({ jetstream: true });
  const natsUrl = opts.natsUrl ?? nats!.url;
  const common = {
    GLIDER_DATA_DIR: dataDir,
    GLIDER_BUS__KIND: 'nats',
    GLIDER_BUS__URL: natsUrl,
    GLIDER_HTTP__HOST: '127.0.0.1',
    GLIDER_LOG__LEVEL: opts.logLevel ?? 'debug',
    ...opts.env,
  };
  const processes: GliderProcess[] = [];
  const start = async (app: string, name: string, env: Record<string, string>) => {
    const p = await startGlider(app, { ...common, GLIDER_HTTP__PORT: String(await freePort()), ...env }, { logDir: dataDir, name });
    processes.push(p);
    return p;
  };
  try {
    const adminPort = opts.adminPort ?? (await freePort());
    registerAdminToken(adminPort, dataDir);
    for (let i = 1; i <= (opts.routers ?? 2); i++) {
      await start('router', `router-${i}`, {
        GLIDER_ROUTER__ID: `router-${i}`,
        GLIDER_ADMIN__GRPC_PORT: String(i === 1 ? adminPort : await freePort()),
      });
    }
    await start('presence', 'presence-1', { GLIDER_PRESENCE__ID: 'presence-1' });
    const edges = [];
    for (let i = 1; i <= (opts.edges ?? 2); i++) {
      const edge = await edgeEnv(opts.host, opts.edgePorts?.[i - 1]);
      await start('edge', `edge-${i}`, { GLIDER_EDGE__ID: `edge-${i}`, ...edge.env });
      edges.push(edge.endpoint);
    }
    return {
      domain: 'localhost',
      edges,
      adminPort,
      natsUrl,
      dataDir,
      certPem: () => readFileSync(join(dataDir, 'tls', 'self-signed.crt'), 'utf8'),
      processes,
      byRole: (role) => processes.filter((p) => p.role.startsWith(role)),
      stop: async () => {
        for (const p of [...processes].reverse()) await p.stop();
        await nats?.stop();
      },
    };
  } catch (err) {
    for (const p of [...processes].reverse()) await p.stop();
    await nats?.stop();
    throw err;
  }
}
