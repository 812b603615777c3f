import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Admin port → the admin token file of the deployment serving it (registered by the harnesses). */
const tokenFiles = new Map<number, string>();

/** The deployment listening on `adminPort` keeps its admin token in `dataDir` (the server's default). */
export function registerAdminToken(adminPort: number, dataDir: string): void {
  tokenFiles.set(adminPort, join(dataDir, 'admin-token'));
}

/** Runs the real `gliderctl` CLI, feeding `stdin` (the password) when given. */
export function gliderctl(args: string[], opts: { adminPort: number; stdin?: string }): Promise<CtlResult> {
  return new Promise((resolve, reject) => {
    const token = tokenFiles.get(opts.adminPort);
    const auth = token ? ['--token-file', token] : [];
    const child = spawn(process.execPath, [join(repoRoot, 'dist/apps/gliderctl/src/main.js'), '--server', `127.0.0.1:${opts.adminPort}`, ...auth, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

export async function addUser(jid: string, password: string, adminPort: number): Promise<void> {
  const r = await gliderctl(['user', 'add', jid], { adminPort, stdin: password + '\n' });
  if (r.code !== 0) throw new Error(`gliderctl user add ${jid} failed (${r.code}): ${r.stderr}${r.stdout}`);
}
