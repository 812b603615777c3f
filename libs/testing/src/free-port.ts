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
 * The lowest port freePort hands out: below it live the well-known services, and the ports
 * `fetch()` refuses to connect to (the Fetch standard's "bad ports", the highest 10080): a
 * readiness probe by fetch on such a port fails forever (seen: an edge given 10080 never became
 * ready).
 */
const LOWEST = 11_000;

/**
 * A TCP port free on 127.0.0.1 right now, never one this process or another living test process
 * handed out before: two calls in a row could otherwise return the same port (seen: a standalone
 * whose http.port and edge.c2sPort were both given the same port), and so could two test files
 * running at the same time.
 *
 * It is below the kernel's ephemeral range (`net.ipv4.ip_local_port_range`): between this call and
 * the server binding the port, every outgoing connection on the machine and every server listening
 * on port 0 takes its local port from that range, and one of them took an edge's WebSocket port
 * there once (CI of 946311b: "edge.wssPort is already in use"). Below it, only an explicit bind
 * can take the port, and the test processes' explicit binds come from here; relay port ranges
 * come from relayPortBlock, inside the ephemeral range.
 */
export async function freePort(): Promise<number> {
  const [low, high] = freeRange();
  for (let i = 0; i < MAX_TRIES; i++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await bindable(port)) || !claimPort(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`freePort: no free port from ${low} to ${high} in ${MAX_TRIES} tries`);
}

/** Where freePort draws from: below the ephemeral range, or above it when too little is below. */
function freeRange(): [number, number] {
  const [ephemeralLow, ephemeralHigh] = ephemeralRange();
  return ephemeralLow - LOWEST >= 2_000 ? [LOWEST, ephemeralLow - 1] : [ephemeralHigh + 1, 65_535];
}

/**
 * `size` consecutive ports for a TURN relay's range (Glider's media relay, coturn), from inside
 * the ephemeral range: a relay tries another port when one is busy, and freePort's ports, given to
 * other test processes that may not have bound them yet, are never there.
 */
export function relayPortBlock(size = 200): [number, number] {
  const [low, high] = ephemeralRange();
  const first = low + Math.floor(Math.random() * (high - low + 1 - size));
  return [first, first + size - 1];
}

/** Linux's ephemeral range, from /proc; its default where there is no /proc. */
export function ephemeralRange(): [number, number] {
  const text = readText('/proc/sys/net/ipv4/ip_local_port_range');
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return Number.isInteger(low) && Number.isInteger(high) ? [low!, high!] : [32_768, 60_999];
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

/** Whether a TCP server can listen on 127.0.0.1:`port` right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
