// Helpers the targets share: free ports, a throwaway certificate, config templates, child
// processes started and stopped by pid, readiness probes.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';

/** A port the kernel just handed out on loopback (probed, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Self-signed certificate for `domain` and its subdomains; returns the file paths. */
export function makeCertificate(dir: string, domain: string): { cert: string; key: string; pem: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${domain}`,
      '-addext',
      `subjectAltName=DNS:${domain},DNS:*.${domain}`,
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  const pem = join(dir, 'combined.pem');
  writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
  return { cert, key, pem };
}

/** Why a server binary cannot run here, or undefined when it is on the PATH. */
export function notInstalled(command: string): string | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v "$0"', command], { stdio: 'ignore' });
    return undefined;
  } catch {
    return `${command} is not installed (scripts/ci/install-bench-peers.sh installs it)`;
  }
}

/** Copies a peer config from bench/peers, filling `{{NAME}}` fields. */
export function renderConfig(template: string, out: string, fields: Record<string, string | number>): void {
  let text = readFileSync(template, 'utf8');
  for (const [k, v] of Object.entries(fields)) text = text.replaceAll(`{{${k}}}`, String(v));
  const left = /\{\{(\w+)\}\}/.exec(text);
  if (left) throw new Error(`${template}: no value for {{${left[1]}}}`);
  writeFileSync(out, text);
}

/** bench/peers, found from dist/bench/src/targets. */
export const PEERS_DIR = new URL('../../../../bench/peers/', import.meta.url).pathname;

/** Starts a server process with its output in `logFile`, in its own process group, with many fds. */
export function startProcess(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string }): ChildProcess {
  const log = openSync(opts.logFile, 'a');
  const script = `ulimit -n $(ulimit -Hn) 2>/dev/null; exec "$0" "$@"`;
  return spawn('sh', ['-c', script, cmd, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', log, log],
    detached: true,
  });
}

/** Stops a process group we started: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL');
}

/** Waits until something accepts TCP connections on the port, or the child dies, or time runs out. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${tail(logFile)}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms: ${tail(logFile)}`);
}

export function tail(file: string, chars = 600): string {
  try {
    return readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '';
  }
}

/** Runs `fn` over 0..count-1 with bounded concurrency. */
export async function forEachLimited(count: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}
