import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '#libs/testing';
import { startClusterNats, type ClusterNats } from './cluster-nats.js';
import { startGlider, type GliderProcess } from './glider-process.js';
import { edgeEnv, turnTestEnv, type Deployment } from './standalone.js';
import { registerAdminToken } from './gliderctl.js';

export interface ClusterOptions {
  edges?: number;
  routers?: number;
  /** Presence processes (each owns a share of the partitions); 1 when absent. */
  presences?: number;
  /** A running nats-server; started (and stopped last) here when absent. */
  natsUrl?: string;
  /** Extra GLIDER_* settings for every process (e.g. storage on MongoDB). */
  env?: Record<string, string>;
  /** Embedded database and self-signed certificate; a new temporary directory when absent. */
  dataDir?: string;
  /** Where each process writes `<name>.log`; the data directory when absent. */
  logDir?: string;
  logLevel?: string;
  /** Fixed ports per edge (the `npm run cluster` command); free ports otherwise. */
  edgePorts?: { c2sPort: number; directTlsPort: number; wssPort: number; wsPort: number }[];
  adminPort?: number;
  /** Fixed health/metrics ports by process name (`router-1`, `presence-1`, `edge-1`...); free otherwise. */
  httpPorts?: Record<string, number>;
  host?: string;
  /**
   * Media-relay processes (apps/media-relay, `media.enabled`), each its own role like a pod of the
   * operator's `mediaRelay` component; none when absent. `mediaEnv(i)` is added to the i-th one's
   * env only (1-based: its own listener ports when several run on one machine).
   */
  mediaRelays?: number;
  mediaEnv?: (i: number) => Record<string, string> | Promise<Record<string, string>>;
  /** muc processes (apps/muc, `muc.enabled`), each its own role; none when absent. */
  mucs?: number;
  /** Every process in its own process group: a terminal's Ctrl-C reaches only the caller, which stops them in order. */
  detached?: boolean;
}

/** One step of an ordered stop: which process, in which phase, and whether it had already gone. */
export interface StopEvent {
  phase: 'edges' | 'services' | 'nats';
  name: string;
  code: number | null;
  /** It had exited before the cluster asked it to: something else stopped or killed it. */
  alreadyExited: boolean;
}

export interface Cluster extends Deployment {
  natsUrl: string;
  dataDir: string;
  logDir: string;
  /** The nats-server started here (absent with `natsUrl`). */
  nats?: ClusterNats;
  byRole(role: string): GliderProcess[];
  /** Edges first (they drain), then routers and presence, then nats-server; reports each step. */
  stopInOrder(onEvent?: (e: StopEvent) => void): Promise<StopEvent[]>;
}

/**
 * The local cluster: a real nats-server, N routers, one presence, M edges on loopback, each its
 * own process. Embedded storage is shared through one SQLite file in `dataDir` (a development
 * setting: real clusters set storage.kind=mongodb), and so is the self-signed certificate.
 */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'glider-cluster-'));
  const logDir = opts.logDir ?? dataDir;
  mkdirSync(logDir, { recursive: true });
  const nats = opts.natsUrl ? undefined : await startClusterNats({ detached: opts.detached });
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
    const httpPort = opts.httpPorts?.[name] ?? (await freePort());
    const p = await startGlider(app, { ...common, GLIDER_HTTP__PORT: String(httpPort), ...env }, { logDir, name, detached: opts.detached });
    processes.push(p);
    return p;
  };
  const stopInOrder = async (onEvent?: (e: StopEvent) => void): Promise<StopEvent[]> => {
    const events: StopEvent[] = [];
    const phase = async (name: StopEvent['phase'], group: GliderProcess[]) => {
      await Promise.all(
        group.map(async (p) => {
          const alreadyExited = p.child.exitCode !== null || p.child.signalCode !== null;
          const e: StopEvent = { phase: name, name: p.role, code: await p.stop(), alreadyExited };
          events.push(e);
          onEvent?.(e);
        }),
      );
    };
    await phase(
      'edges',
      processes.filter((p) => p.role.startsWith('edge')),
    );
    await phase(
      'services',
      processes.filter((p) => !p.role.startsWith('edge')),
    );
    if (nats) {
      const r = await nats.stop();
      const e: StopEvent = { phase: 'nats', name: 'nats-server', ...r };
      events.push(e);
      onEvent?.(e);
    }
    return events;
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
    for (let i = 1; i <= (opts.presences ?? 1); i++) await start('presence', `presence-${i}`, { GLIDER_PRESENCE__ID: `presence-${i}` });
    for (let i = 1; i <= (opts.mediaRelays ?? 0); i++) {
      await start('media-relay', `media-relay-${i}`, {
        GLIDER_MEDIA__ID: `media-relay-${i}`,
        GLIDER_MEDIA__ENABLED: 'true',
        GLIDER_MEDIA__SOCKS5__PORT: '0',
        // its HTTPS upload listener on a free port (the default, 5281, is one another test may hold)
        GLIDER_MEDIA__UPLOAD__PORT: String(await freePort()),
        ...turnTestEnv,
        ...(await opts.mediaEnv?.(i)),
      });
    }
    for (let i = 1; i <= (opts.mucs ?? 0); i++) {
      await start('muc', `muc-${i}`, { GLIDER_MUC__ID: `muc-${i}`, GLIDER_MUC__ENABLED: 'true' });
    }
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
      logDir,
      ...(nats ? { nats } : {}),
      certPem: () => readFileSync(join(dataDir, 'tls', 'self-signed.crt'), 'utf8'),
      processes,
      byRole: (role) => processes.filter((p) => p.role.startsWith(role)),
      stopInOrder,
      stop: async () => void (await stopInOrder()),
    };
  } catch (err) {
    await stopInOrder();
    throw err;
  }
}
