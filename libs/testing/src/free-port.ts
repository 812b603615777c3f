import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Ports this process has handed out: the OS may give a just-closed port again on the next call. */
const handedOut = new Set<number>();
const MAX_TRIES = 50;
/**
 * Where the test processes of one machine leave a file per port they handed out, holding their
 * pid: scripts/test.mjs runs e2e files side by side, and a port another process has just been
 * given is free in the OS until that process's server binds it.
 */
export const CLAIMS_DIR = join(tmpdir(), 'glider-free-ports');
const claimed: string[] = [];
let releaseHookInstalled = false;

/**
 * A TCP port free on 127.0.0.1 right now (the OS picks it), never one this process or another
 * living test process handed out before: two calls in a row could otherwise return the same port
 * (seen: a standalone whose http.port and edge.c2sPort were both given the same port), and so
 * could two test files running at the same time.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = await osPort();
    if (!handedOut.has(port) && claimPort(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`freePort: the OS gave only ports already handed out, ${MAX_TRIES} times`);
}

/**
 * Claims `port` for this process among the test processes of this machine (that share `dir`):
 * false when a living process holds it; a claim whose process is gone is taken over. Claims go
 * when the process exits.
 */
export function claimPort(port: number, dir = CLAIMS_DIR): boolean {
  mkdirSync(dir, { recursive: true });
  installReleaseHook();
  const file = join(dir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      claimed.push(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readText(file));
    if (holder === process.pid || alive(holder)) return false;
    // The holder died without releasing (SIGKILL): remove its claim and try once more; when two
    // processes do this at once, 'wx' lets only one of them win.
    rmSync(file, { force: true });
  }
  return false;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function installReleaseHook(): void {
  if (releaseHookInstalled) return;
  releaseHookInstalled = true;
  process.once('exit', () => {
    for (const file of claimed) rmSync(file, { force: true });
  });
}

function osPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
