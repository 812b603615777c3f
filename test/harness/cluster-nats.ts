import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitFor } from '#libs/testing';

/** The local cluster's nats-server: stopped last, by the cluster, never by a signal meant for it. */
export interface ClusterNats {
  url: string;
  port: number;
  pid: number;
  /** True once it has exited, whoever ended it. */
  readonly exited: boolean;
  stop(): Promise<{ code: number | null; alreadyExited: boolean }>;
}

function natsServerBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  const dir = dirs.find((d) => d && existsSync(join(d, 'nats-server')));
  if (!dir) throw new Error('nats-server not found on PATH (install it: scripts/ci/install-nats-server.sh)');
  return join(dir, 'nats-server');
}

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/**
 * A nats-server with JetStream in a fresh temporary store (the bus holds only live state: sessions
 * of a previous run must not come back), on `port` or a free one. `detached` puts it in its own
 * process group, so a Ctrl-C in the terminal reaches only the cluster command, which then stops
 * the services before it (libs/testing's nats-server is for tests: it dies with its test process).
 */
export async function startClusterNats(opts: { port?: number; detached?: boolean } = {}): Promise<ClusterNats> {
  const port = opts.port || (await freePort());
  const store = mkdtempSync(join(tmpdir(), 'glider-cluster-nats-'));
  const child = spawn(natsServerBinary(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: opts.detached ?? false,
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      exited = true;
      rmSync(store, { recursive: true, force: true });
      resolve(code);
    }),
  );
  process.once('exit', () => !exited && child.kill('SIGKILL'));
  await waitFor(
    async () => {
      if (exited) throw new Error(`nats-server exited: ${stderr}`);
      return accepts(port);
    },
    { timeoutMs: 15_000, intervalMs: 25, what: `nats-server on port ${port}` },
  );
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    get exited() {
      return exited;
    },
    async stop() {
      const alreadyExited = exited;
      if (!exited) child.kill('SIGINT'); // nats-server's clean shutdown (exit 0; SIGTERM exits 1)
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exit;
      clearTimeout(timer);
      return { code, alreadyExited };
    },
  };
}
