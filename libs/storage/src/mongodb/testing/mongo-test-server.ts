import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { MongoClient } from 'mongodb';
// claimed among test processes and outside the ephemeral range, so nothing takes it before FerretDB binds it (or binds it again on a restart)
import { freePort } from '#libs/testing';

/** How long a FerretDB start may take before the harness gives up (a cold SQLite start is ~0.1 s). */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** A MongoDB-wire server for tests: FerretDB on SQLite in a temp dir, or the one in $MONGODB_URL. */
export interface MongoTestServer {
  /** Connection string without a database. */
  readonly url: string;
  /** True when $MONGODB_URL points at a server the tests do not control (no stop / restart). */
  readonly external: boolean;
  readonly port: number;
  /** Kills the server process (SIGKILL unless `graceful`), same data dir and port kept. */
  kill(graceful?: boolean): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Kills it and removes its data (on an external server: drops the databases `database()` named). */
  stop(): Promise<void>;
  /** A database name nobody else uses, so test files and suites can share one server. */
  database(prefix: string): string;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts FerretDB (`scripts/ci/install-ferretdb.sh` installs it) unless `MONGODB_URL` is set, in
 * which case that server is used as is. `start: false` only reserves a port (for "unreachable at
 * start" tests) and starts nothing until `start()`.
 */
export async function startMongoTestServer(
  opts: {
    start?: boolean;
    tls?: { certFile: string; keyFile: string };
    /** Require authentication with this one user (FerretDB's experimental new auth). */
    auth?: { username: string; password: string };
  } = {},
): Promise<MongoTestServer> {
  const externalUrl = externalMongoUrl();
  if (externalUrl) return externalServer(externalUrl);
  const bin = ferretdbBinary();
  const dir = await mkdtemp(join(tmpdir(), 'glider-ferretdb-'));
  const port = await freePort();
  // with TLS, `port` takes TLS and a second port the plain protocol FerretDB always listens on
  const listen = opts.tls
    ? [
        `--listen-addr=127.0.0.1:${await freePort()}`,
        `--listen-tls=127.0.0.1:${port}`,
        `--listen-tls-cert-file=${opts.tls.certFile}`,
        `--listen-tls-key-file=${opts.tls.keyFile}`,
      ]
    : [`--listen-addr=127.0.0.1:${port}`];
  if (opts.auth) {
    listen.push('--test-enable-new-auth', '--setup-database=admin', `--setup-username=${opts.auth.username}`, `--setup-password=${opts.auth.password}`);
  }
  let child: ChildProcess | undefined;
  let log = '';

  const start = async (): Promise<void> => {
    if (child) return;
    log = '';
    const proc = spawn(
      bin,
      ['--handler=sqlite', `--sqlite-url=file:${dir}/`, ...listen, '--telemetry=disable', '--debug-addr=-', '--state-dir=-', '--log-level=WARN'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    running.add(proc);
    proc.stdout.on('data', (b: Buffer) => (log += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (log += b.toString()));
    proc.once('exit', () => {
      running.delete(proc);
      if (child === proc) child = undefined;
    });
    await waitForPort(port, proc, () => log);
  };

  const kill = async (graceful = false): Promise<void> => {
    const proc = child;
    if (!proc) return;
    child = undefined;
    const exited = new Promise<void>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve();
      else proc.once('exit', () => resolve());
    });
    proc.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };

  if (opts.start !== false) await start();
  return {
    url: `mongodb://127.0.0.1:${port}`,
    external: false,
    port,
    kill,
    start,
    restart: async () => {
      await kill();
      await start();
    },
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
    database: uniqueDatabase,
  };
}

function externalServer(url: string): MongoTestServer {
  const unsupported = async (): Promise<void> => {
    throw new Error('MONGODB_URL points at an external server: the tests cannot stop or start it');
  };
  const databases = new Set<string>();
  return {
    url,
    external: true,
    port: 0,
    kill: unsupported,
    start: async () => {},
    restart: unsupported,
    stop: async () => {
      if (databases.size === 0) return;
      const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
      try {
        for (const name of databases) await client.db(name).dropDatabase();
      } finally {
        databases.clear();
        await client.close();
      }
    },
    database: (prefix) => {
      const name = uniqueDatabase(prefix);
      databases.add(name);
      return name;
    },
  };
}

/** `MONGODB_URL`: a real MongoDB for the suites instead of a FerretDB they start. */
export function externalMongoUrl(): string | undefined {
  return process.env.MONGODB_URL || undefined;
}

/** $FERRETDB_BIN, then the Go bin directories, then $PATH. */
export function ferretdbBinary(): string {
  const candidates = [
    process.env.FERRETDB_BIN,
    process.env.GOBIN && join(process.env.GOBIN, 'ferretdb'),
    process.env.GOPATH && join(process.env.GOPATH, 'bin', 'ferretdb'),
    join(homedir(), 'go', 'bin', 'ferretdb'),
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, 'ferretdb')),
  ];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (!found) {
    throw new Error('ferretdb not found: run scripts/ci/install-ferretdb.sh, or set MONGODB_URL to a MongoDB');
  }
  return found;
}

/** A database name nobody else uses, so test files can share one server. */
export function uniqueDatabase(prefix: string): string {
  return `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`.slice(0, 60);
}

async function waitForPort(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`ferretdb exited (${proc.exitCode ?? proc.signalCode}): ${log()}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill('SIGKILL');
  throw new Error(`ferretdb did not listen on ${port} within ${START_TIMEOUT_MS} ms: ${log()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
