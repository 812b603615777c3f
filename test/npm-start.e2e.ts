// `npm start` as a newcomer uses it: stopped by signalling npm's own process, and started a second
// time on a port that is taken.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort, waitFor } from '#libs/testing';
import { isReady } from './harness/glider-process.js';
import { repoRoot } from './harness/paths.js';

const started: number[] = [];
after(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

/** Every process below `pid` (children first), from /proc. */
function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

async function freeConfig(dataDir: string): Promise<Record<string, string>> {
  return {
    GLIDER_DATA_DIR: dataDir,
    GLIDER_EDGE__HOST: '127.0.0.1',
    GLIDER_EDGE__C2S_PORT: String(await freePort()),
    GLIDER_EDGE__DIRECT_TLS_PORT: String(await freePort()),
    GLIDER_EDGE__WSS_PORT: String(await freePort()),
    GLIDER_ADMIN__GRPC_PORT: String(await freePort()),
    GLIDER_HTTP__HOST: '127.0.0.1',
    GLIDER_HTTP__PORT: String(await freePort()),
    GLIDER_LOG__LEVEL: 'warn',
  };
}

function npmStart(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child.pid!);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

describe('npm start', { timeout: 180_000 }, () => {
  it('SIGTERM to the npm process stops the server and frees its ports', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'glider-npm-start-'));
    try {
      const env = await freeConfig(dataDir);
      const npm = npmStart(env);
      await waitFor(() => isReady(Number(env.GLIDER_HTTP__PORT)), { timeoutMs: 120_000, intervalMs: 200, what: 'npm start ready' });
      const server = descendants(npm.child.pid!).find((pid) => /^\S*node .*scripts\/start\.mjs/.test(cmdline(pid)));
      assert.ok(server, `the server process below npm (${npm.child.pid})`);
      started.push(server);
      assert.equal(await accepts(Number(env.GLIDER_EDGE__C2S_PORT)), true);
      process.kill(npm.child.pid!, 'SIGTERM');
      await npm.exited;
      await waitFor(() => !alive(server), { timeoutMs: 60_000, intervalMs: 50, what: `server process ${server} to exit after npm got SIGTERM` });
      for (const key of ['GLIDER_EDGE__C2S_PORT', 'GLIDER_EDGE__DIRECT_TLS_PORT', 'GLIDER_EDGE__WSS_PORT', 'GLIDER_HTTP__PORT', 'GLIDER_ADMIN__GRPC_PORT']) {
        assert.equal(await accepts(Number(env[key])), false, `${key} closed`);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a busy port: says which setting and env variable to change, exits non-zero, touches no data', async () => {
    const base = mkdtempSync(join(tmpdir(), 'glider-npm-busy-'));
    const dataDir = join(base, 'data');
    const env = await freeConfig(dataDir);
    const busyPort = Number(env.GLIDER_EDGE__DIRECT_TLS_PORT);
    const holder: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(busyPort, '127.0.0.1', () => resolve(s));
    });
    try {
      const npm = npmStart(env);
      const code = await npm.exited;
      assert.notEqual(code, 0, npm.output());
      assert.match(npm.output(), new RegExp(`127\\.0\\.0\\.1:${busyPort} \\(edge\\.directTlsPort\\) is already in use`));
      assert.match(npm.output(), /GLIDER_EDGE__DIRECT_TLS_PORT=<port>/);
      assert.doesNotMatch(npm.output(), /EADDRINUSE|\n\s+at /, 'no raw error or stack trace');
      assert.equal(existsSync(dataDir), false, 'the data directory was not created (no database opened, no certificate written)');
    } finally {
      await new Promise((r) => holder.close(r));
      rmSync(base, { recursive: true, force: true });
    }
  });
});
