// Glider under the compare run, kept thin so the lead can adjust it. What it expects:
//   standalone: `node dist/apps/standalone/src/main.js` with GLIDER_CONFIG=<file> (JSON is YAML);
//   cluster:    `node scripts/cluster.mjs --base-port B --data-dir D` (edges on B and B+10000, admin
//               gRPC on B+360), its processes found below it and named by their command line;
//   accounts:   the admin gRPC API gliderctl uses (proto/glider/admin/v1 Admin.AddUser), called
//               directly so 2 000 accounts take seconds, not one gliderctl process each.
// Missing build outputs make the target "not available yet" instead of failing the run.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { localMemoryBytes, nodeOptions } from '#libs/runtime';
import { clusterPorts } from '../../../test/harness/cluster-cli.js';
import { processTree, type ServerProcess } from '../load/process-stats.js';
import { diffPerConnection, heapArgs, heapGroups, summarisePerConnection, takeSnapshot, type HeapGroups } from './v8-heap.js';
import { profileArgs, summariseProfile } from './v8-profile.js';
import { forEachLimited, freePort, makeCertificate, stopProcess, waitForPort } from './support.js';
import type { StartOutcome, TargetRequest } from './target.js';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const STANDALONE = join(ROOT, 'dist/apps/standalone/src/main.js');
const CLUSTER = join(ROOT, 'scripts/cluster.mjs');
const CLUSTER_IMPL = join(ROOT, 'dist/test/harness/cluster-cli.js');
const GLIDERCTL = join(ROOT, 'dist/apps/gliderctl/src/main.js');
const ADMIN_PROTO = join(ROOT, 'proto/glider/admin/v1/admin.proto');

/** Throttles a benchmark from one IP would hit; the same lifting as for the anchors. */
const UNTHROTTLED = {
  GLIDER_EDGE__LIMITS__MAX_CONNECTIONS_PER_IP: '1000000',
  GLIDER_EDGE__LIMITS__READ_BYTES_PER_SECOND: String(1 << 30),
  GLIDER_EDGE__LIMITS__READ_BURST_BYTES: String(1 << 30),
  GLIDER_LOG__LEVEL: 'warn',
};
/** The cluster's two muc replicas run MUC as standalone does (below): rate limits lifted, no history, no room archive. */
const CLUSTER_MUC = {
  GLIDER_MUC__ENABLED: 'true',
  GLIDER_MUC__MAX_MESSAGES_PER_MINUTE: '1000000',
  GLIDER_MUC__MAX_JOINS_PER_MINUTE: '1000000',
  GLIDER_MUC__MAX_OCCUPANTS_PER_ROOM: '10000',
  GLIDER_MUC__DEFAULT_HISTORY_LENGTH: '0',
  GLIDER_MUC__DEFAULT_ENABLE_LOGGING: 'false',
};
const NOTES = [
  'Glider: maxConnectionsPerIp, read rate limit lifted; log level warn; TLS 1.3 only; no message archive unless --archive (the peers load no MAM); standalone muc on (rate limits lifted, no history, no room archive, like the peers)',
];

function missing(paths: string[]): string | undefined {
  const gone = paths.filter((p) => !existsSync(p));
  return gone.length ? `missing ${gone.map((p) => p.slice(ROOT.length)).join(', ')}` : undefined;
}

interface AdminClient extends grpc.Client {
  AddUser(req: { jid: string; password: string }, metadata: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void): void;
}

async function addUsers(adminPort: number, req: TargetRequest, dataDir: string): Promise<void> {
  const def = protoLoader.loadSync(ADMIN_PROTO, { keepCase: false, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    glider: { admin: { v1: { Admin: new (address: string, creds: grpc.ChannelCredentials) => AdminClient } } };
  };
  const client = new pkg.glider.admin.v1.Admin(`127.0.0.1:${adminPort}`, grpc.credentials.createInsecure());
  // the admin token the server made in its data dir (docs/security.md)
  const auth = new grpc.Metadata();
  auth.set('authorization', `Bearer ${readFileSync(join(dataDir, 'admin-token'), 'utf8').trim()}`);
  try {
    await forEachLimited(
      req.users,
      16,
      (i) =>
        new Promise<void>((resolve, reject) =>
          client.AddUser({ jid: `${req.userPrefix}${i}@${req.domain}`, password: req.password }, auth, (err: grpc.ServiceError | null) =>
            !err || err.code === grpc.status.ALREADY_EXISTS ? resolve() : reject(new Error(`AddUser: ${err.message}`)),
          ),
        ),
    );
  } finally {
    client.close();
  }
}

/** Node with the soft fd limit raised to the hard one (as support.ts's startProcess does for the peers); exec keeps the pid. */
function spawnNode(args: string[], env: Record<string, string>, dir: string): ChildProcess {
  const log = openSync(join(dir, 'stdout.log'), 'a');
  const script = `ulimit -n $(ulimit -Hn) 2>/dev/null; exec "$0" "$@"`;
  return spawn('sh', ['-c', script, process.execPath, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true });
}

export async function startGliderStandalone(req: TargetRequest): Promise<StartOutcome> {
  const gap = missing([STANDALONE, GLIDERCTL, ADMIN_PROTO]);
  if (gap) return { ok: false, reason: gap };
  const [port, adminPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const { cert, key } = makeCertificate(req.dir, req.domain);
  const config = join(req.dir, 'glider.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      domains: [req.domain],
      dataDir: join(req.dir, 'data'),
      edge: { host: '127.0.0.1', c2sPort: port, directTlsPort: await freePort(), wssPort: await freePort() },
      tls: { certFile: cert, keyFile: key, minVersion: 'TLSv1.3', watch: false },
      admin: { host: '127.0.0.1', grpcPort: adminPort },
      http: { host: '127.0.0.1', port: httpPort },
      // MUC as the peers run it (bench/peers: no room history, no room archive), its rate limits lifted
      muc: {
        enabled: true,
        maxMessagesPerMinute: 1_000_000,
        maxJoinsPerMinute: 1_000_000,
        maxOccupantsPerRoom: 10_000,
        defaultHistoryLength: 0,
        defaultEnableLogging: false,
      },
    }),
  );
  // started as `npm start` starts it (the V8 options every Glider process gets), profiled or heap-snapshotted on request
  const node = [
    ...nodeOptions(localMemoryBytes()),
    ...(req.profile ? profileArgs(req.dir) : []),
    ...(req.profile || req.heap ? heapArgs(req.dir) : []),
    STANDALONE,
  ];
  const child = spawnNode(node, { GLIDER_CONFIG: config, ...UNTHROTTLED, ...req.env }, req.dir);
  try {
    await waitForPort(port, child, 30_000, join(req.dir, 'stdout.log'));
    await waitForPort(adminPort, child, 10_000, join(req.dir, 'stdout.log'));
    await addUsers(adminPort, req, join(req.dir, 'data'));
  } catch (err) {
    await stopProcess(child);
    return { ok: false, reason: `standalone did not start: ${(err as Error).message}` };
  }
  return {
    ok: true,
    target: {
      label: 'glider',
      host: '127.0.0.1',
      port,
      domain: req.domain,
      mucDomain: `conference.${req.domain}`,
      processes: [{ name: 'standalone', pid: child.pid! }],
      metricsUrl: `http://127.0.0.1:${httpPort}/metrics`,
      notes: NOTES,
      stop: () => stopProcess(child),
      ...(req.profile ? { report: () => summariseProfile(req.dir) } : {}),
      ...(req.profile || req.heap ? { heapReport: heapReporter(child.pid!, req.dir) } : {}),
    },
  };
}

/**
 * Snapshots the heap with no idle session (connections = 0) and again with them, and prints the
 * difference per connection; without the first, one snapshot's groups (start-up included).
 */
function heapReporter(pid: number, dir: string): (connections: number) => Promise<string> {
  let empty: HeapGroups | undefined;
  return async (connections) => {
    const file = await takeSnapshot(pid, dir);
    if (!file) return 'no heap snapshot';
    if (connections === 0) {
      empty = heapGroups(file);
      return '';
    }
    const groups = heapGroups(file);
    const summary = empty ? diffPerConnection(empty, groups, connections) : summarisePerConnection(groups, connections);
    return `${summary}\n(snapshot: ${file})`;
  };
}

/** A base port B with B, B+1, B+58, B+221, B+360 and the same +10000 all free now. */
/**
 * A base port whose every cluster port (test/harness/cluster-cli.ts `clusterPorts`) is free now, all
 * of them below the kernel's ephemeral range (32768 up on Linux): a client socket of another
 * process cannot take one between this probe and the cluster's listen (a run once failed on
 * router-2's health port, base + 3870, which the old probe did not check).
 */
async function freeBase(): Promise<number> {
  const lowest = 20000;
  const highest = 32767 - (Math.max(...clusterPorts(lowest)) - lowest);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = lowest + Math.floor(Math.random() * (highest - lowest));
    const free = await Promise.all(clusterPorts(base).map((p) => canListen(p)));
    if (free.every(Boolean)) return base;
  }
  throw new Error(`no base port from ${lowest} to ${highest} with every cluster port free`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * A cluster process's name from its command line and environment: its own id (GLIDER_EDGE__ID,
 * GLIDER_ROUTER__ID, GLIDER_PRESENCE__ID, e.g. `edge-1`, the edge on the base port where the
 * senders are), else `undefined` for `nats-server` and processes that are no Glider app. The id,
 * not the order found, because the process tree is walked last-child-first: counting there named
 * the second edge `edge-1`.
 */
export function clusterRole(cmd: string, environ: string): { role: string; id?: string } | undefined {
  if (/nats-server/.test(cmd)) return { role: 'nats-server', id: 'nats-server' };
  const role = /apps\/(\w[\w-]*)\//.exec(cmd)?.[1];
  if (!role) return undefined;
  const key = `GLIDER_${role.toUpperCase()}__ID=`;
  const id = environ
    .split('\0')
    .find((e) => e.startsWith(key))
    ?.slice(key.length);
  return id ? { role, id } : { role };
}

/** The cluster's processes named by role and id: edge-1, router-2, presence-1, nats-server. */
function clusterProcesses(root: number): ServerProcess[] {
  const found: { role: string; id?: string; pid: number }[] = [];
  for (const pid of processTree(root).sort((a, b) => a - b)) {
    if (pid === root) continue;
    let cmd = '';
    let environ = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue;
    }
    const r = clusterRole(cmd, environ);
    if (r) found.push({ ...r, pid });
  }
  // Without an id (an older build): numbered in start order, which is pid order unless pids wrapped.
  const counts = new Map<string, number>();
  return found.map(({ role, id, pid }) => {
    const n = (counts.get(role) ?? 0) + 1;
    counts.set(role, n);
    return { name: id ?? `${role}-${n}`, pid };
  });
}

export async function startGliderCluster(req: TargetRequest): Promise<StartOutcome> {
  const gap = missing([CLUSTER, CLUSTER_IMPL, GLIDERCTL, ADMIN_PROTO]);
  if (gap) return { ok: false, reason: gap };
  const base = await freeBase();
  mkdirSync(join(req.dir, 'data'), { recursive: true });
  const child = spawnNode(
    [CLUSTER, '--base-port', String(base), '--data-dir', join(req.dir, 'data'), '--mucs', '2'],
    // --heap: the edges may write snapshots (the harness's CLUSTER_NODE_ARGS_EDGE); edge-1 is asked to
    { ...UNTHROTTLED, ...CLUSTER_MUC, ...(req.heap ? { CLUSTER_NODE_ARGS_EDGE: heapArgs(req.dir).join(' ') } : {}), ...req.env },
    req.dir,
  );
  try {
    await waitForPort(base, child, 60_000, join(req.dir, 'stdout.log'));
    await waitForPort(base + 10000, child, 30_000, join(req.dir, 'stdout.log'));
    await waitForPort(base + 360, child, 30_000, join(req.dir, 'stdout.log'));
    await addUsers(base + 360, req, join(req.dir, 'data'));
  } catch (err) {
    await stopProcess(child, 15_000);
    return { ok: false, reason: `cluster did not start: ${(err as Error).message}` };
  }
  const processes = clusterProcesses(child.pid!);
  const edge1 = processes.find((p) => p.name === 'edge-1');
  const edgeHeap = edge1 ? heapReporter(edge1.pid, req.dir) : async () => '';
  return {
    ok: true,
    target: {
      label: 'glider-cluster',
      host: '127.0.0.1',
      port: base,
      altPorts: [base + 10000],
      domain: req.domain,
      mucDomain: `conference.${req.domain}`,
      processes,
      notes: [...NOTES, 'cluster: users alternate between edge-1 and edge-2 (msg: every sender on edge-1, every receiver on edge-2)'],
      stop: () => stopProcess(child, 15_000),
      // edge-1 holds every other user's connection: its snapshots are compared per connection it holds
      ...(req.heap && edge1 ? { heapReport: (n: number) => edgeHeap(Math.ceil(n / 2)) } : {}),
    },
  };
}
