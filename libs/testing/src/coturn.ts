/**
 * Debian's coturn (`turnserver`) for tests and the relay benchmark: loopback only, TURN REST API
 * shared-secret credentials (`--use-auth-secret`), relaying to loopback peers allowed (it refuses
 * them by default, as Glider's relay does), no TLS/DTLS listeners, no CLI, its own SQLite file and
 * pid file in a temp dir; killed by PID on stop() and when the test process exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, relayPortBlock } from './free-port.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

export interface CoturnOptions {
  secret: string;
  realm?: string;
  /** Relay port range (coturn `--min-port/--max-port`); default a random 200-port range. */
  relayPorts?: [number, number];
  /** Extra arguments (e.g. `--relay-threads=1`). */
  args?: string[];
  startTimeoutMs?: number;
}

export interface Coturn {
  port: number;
  pid: number;
  relayPorts: [number, number];
  /** Its log (coturn writes it to stdout here), last 16 KiB. */
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();

export function coturnBinary(): string {
  for (const p of ['/usr/bin/turnserver', '/usr/sbin/turnserver']) if (existsSync(p)) return p;
  throw new Error('turnserver not found (Debian package coturn)');
}

export async function startCoturn(opts: CoturnOptions): Promise<Coturn> {
  process.once('exit', () => {
    for (const c of live) if (c.pid) tryKill(c.pid);
  });
  const port = await freePort();
  const relayPorts = opts.relayPorts ?? relayPortBlock(200);
  const dir = tempDir('glider-coturn-');
  const args = [
    '-n', // no configuration file: everything is on this line
    '--no-cli',
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${port}`,
    '--no-tls',
    '--no-dtls',
    '--use-auth-secret',
    `--static-auth-secret=${opts.secret}`,
    `--realm=${opts.realm ?? 'localhost'}`,
    '--allow-loopback-peers',
    `--min-port=${relayPorts[0]}`,
    `--max-port=${relayPorts[1]}`,
    `--db=${join(dir.path, 'turndb')}`,
    `--pidfile=${join(dir.path, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
    ...(opts.args ?? []),
  ];
  const child = spawn(coturnBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let output = '';
  let exited = false;
  const onData = (d: Buffer): void => {
    output = (output + d.toString()).slice(-16_384);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  child.once('exit', () => {
    exited = true;
    live.delete(child);
  });
  await waitFor(
    async () => {
      if (exited) throw new Error(`turnserver exited: ${output}`);
      return stunBindingAnswered('127.0.0.1', port);
    },
    { timeoutMs: opts.startTimeoutMs ?? 15_000, intervalMs: 50, what: `coturn on UDP port ${port}` },
  );
  return {
    port,
    pid: child.pid!,
    relayPorts,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        tryKill(child.pid!);
        await gone;
      }
      dir.remove();
    },
  };
}

/** Sends one STUN Binding request (RFC 8489 §6) over UDP; true when a success response comes back within 300 ms. */
export function stunBindingAnswered(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const txid = randomBytes(12);
    const req = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), txid]);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('message', (msg) => done(msg.length >= 20 && msg.readUInt16BE(0) === 0x0101 && msg.subarray(8, 20).equals(txid)));
    sock.on('error', () => done(false));
    sock.send(req, port, host);
  });
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}
