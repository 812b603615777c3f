/**
 * A real nats-server (from PATH) for tests: free port, JetStream in a temp dir, killed by PID on
 * stop() and when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';
import { tempDir, type TempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export interface NatsServerOptions {
  jetstream?: boolean;
  /** Extra nats-server arguments (e.g. `--user u --pass p`). */
  args?: string[];
  startTimeoutMs?: number;
}

export interface NatsServer {
  url: string;
  port: number;
  /** The JetStream store directory. */
  storeDir: string;
  /** The running process's pid (a new one after `restart`); undefined while it is down. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
  /**
   * Stops and starts again on the same port and store (for reconnect tests); `downMs` keeps it
   * down that long (an outage), `signal` SIGKILL makes it a crash.
   */
  restart(opts?: { downMs?: number; signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>;
}

const live = new Set<ChildProcess>();
const dirs = new Set<TempDir>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const child of live) if (child.pid) tryKill(child.pid, 'SIGKILL');
    for (const d of dirs) d.remove();
  };
  process.once('exit', killAll);
  // 'exit' does not run when a signal ends the process (a test runner's timeout): kill, then die
  // of the same signal.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** From PATH; the Debian package puts it in /usr/sbin, which a non-root PATH may lack. */
export function natsServerBinary(): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  for (const p of ['/usr/sbin/nats-server', '/usr/local/sbin/nats-server']) if (existsSync(p)) return p;
  throw new Error('nats-server not found on PATH (install it: scripts/ci/install-nats-server.sh)');
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  installExitHook();
  const port = await freePort();
  const dir = tempDir('glider-nats-');
  dirs.add(dir);
  const jetstream = opts.jetstream ?? true;
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(jetstream ? ['-js', '-sd', dir.path] : []), ...(opts.args ?? [])];
  let child: ChildProcess | undefined;
  let output = '';

  const spawnIt = async (): Promise<void> => {
    const c = spawn(natsServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    live.add(c);
    let exited = false;
    const onData = (d: Buffer): void => {
      output = (output + d.toString()).slice(-4000);
    };
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    c.once('exit', () => {
      exited = true;
      live.delete(c);
    });
    c.once('error', (err) => {
      exited = true;
      output += String(err);
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`nats-server exited: ${output}`);
        return accepts(port);
      },
      { timeoutMs: opts.startTimeoutMs ?? 15_000, intervalMs: 25, what: `nats-server on port ${port}` },
    );
  };

  const stopIt = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null || !c.pid) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    tryKill(c.pid, signal);
    const t = setTimeout(() => c.pid && tryKill(c.pid, 'SIGKILL'), 5_000);
    await gone;
    clearTimeout(t);
  };

  await spawnIt();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir: dir.path,
    get pid() {
      return child?.pid;
    },
    stop: async () => {
      await stopIt();
      dir.remove();
      dirs.delete(dir);
    },
    restart: async ({ downMs = 0, signal } = {}) => {
      await stopIt(signal);
      if (downMs > 0) await sleep(downMs);
      await spawnIt();
    },
  };
}
