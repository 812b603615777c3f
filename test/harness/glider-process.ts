import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { localMemoryBytes, nodeOptions } from '#libs/runtime';
import { waitFor } from '#libs/testing';
import { repoRoot } from './paths.js';

const running = new Set<ChildProcess>();
// Whatever ends this process (a test runner's timeout, Ctrl-C on the cluster command) ends the
// Glider processes it started too, rather than leaving them holding ports.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface GliderProcess {
  role: string;
  pid: number;
  httpPort: number;
  logFile: string;
  child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Extra node options for one app's process, for profiling a cluster run without changing what
 * everybody else runs: `CLUSTER_NODE_ARGS_<APP>` (e.g. `CLUSTER_NODE_ARGS_EDGE='--cpu-prof
 * --cpu-prof-dir=/tmp/prof'`) or, for every app, `CLUSTER_NODE_ARGS`; space-separated. Read here,
 * in the harness, and never passed on (the apps reject unknown GLIDER_* variables).
 */
export function extraNodeArgs(app: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[`CLUSTER_NODE_ARGS_${app.toUpperCase()}`] ?? env.CLUSTER_NODE_ARGS ?? '';
  return raw.split(/\s+/).filter(Boolean);
}

/**
 * Starts one Glider app (`dist/apps/<app>/src/main.js`) as a child process with GLIDER_* env, logs
 * to a file, and waits until /healthz/ready answers 200.
 */
export async function startGlider(
  app: string,
  env: Record<string, string>,
  opts: { logDir: string; name?: string; ready?: boolean; /** Own process group: a terminal's Ctrl-C does not reach it. */ detached?: boolean },
): Promise<GliderProcess> {
  const name = opts.name ?? app;
  const logFile = join(opts.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(
    process.execPath,
    ['--enable-source-maps', ...nodeOptions(localMemoryBytes()), ...extraNodeArgs(app), join(repoRoot, 'dist/apps', app, 'src/main.js')],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: opts.detached ?? false,
    },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  running.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const httpPort = Number(env.GLIDER_HTTP__PORT);
  const proc: GliderProcess = {
    role: name,
    pid: child.pid!,
    httpPort,
    logFile,
    child,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
  if (opts.ready !== false) {
    let ended = false;
    void exited.then(() => (ended = true));
    try {
      await waitFor(
        async () => {
          if (ended) throw new Error(`${name} exited before it was ready; see ${logFile}`);
          return isReady(httpPort);
        },
        { timeoutMs: 60_000, intervalMs: 100, what: `${name} ready on :${httpPort} (log ${logFile})` },
      );
    } catch (err) {
      // the caller never gets a handle to stop it: ended here, or it would keep the test process
      // (and the suite) alive after the failure (seen: an edge that never became ready)
      if (!ended) await proc.stop('SIGKILL');
      throw err;
    }
  }
  return proc;
}

export async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz/ready`);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The s2s port a Glider process chose (s2s.port 0: several on one machine), from its "federation listening" log line. */
export async function s2sPortOf(logFile: string): Promise<number> {
  let port = 0;
  await waitFor(
    () => {
      const m = /"ports":\{"s2s":(\d+)[^}]*\},"msg":"federation listening"/.exec(readFileSync(logFile, 'utf8'));
      port = m ? Number(m[1]) : 0;
      return port > 0;
    },
    { what: `federation listening in ${logFile}`, timeoutMs: 30_000 },
  );
  return port;
}

/**
 * Waits until `logFile` has a line matching `pattern`. A process's log reaches its file through a
 * pipe and this process's write stream, so a line logged before a stanza went out can land in the
 * file after the stanza arrived: a test that asserts on a log line waits for it.
 */
export async function logLine(logFile: string, pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => pattern.test(readFileSync(logFile, 'utf8')), { what: `${pattern} in ${logFile}`, timeoutMs });
}
