import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, waitFor } from '#libs/testing';

/**
 * A Debian Prosody (0.12) as a federation peer for tests (issue 13), in its own directory, on
 * loopback, bounded and stopped by its PID. Prosody has no static s2s route option: it finds the
 * Glider domain through its resolver (libunbound) reading `hosts` from our own hosts file
 * (Prosody's `unbound = { hoststxt = ... }`, net/unbound.lua), then port 5269 (RFC 6120 §3.2.1
 * fallback when there is no SRV record), so the Glider side must listen on 5269 there.
 */
export interface ProsodyPeer {
  domain: string;
  c2sPort: number;
  s2sPort: number;
  logFile: string;
  /** Prosody's process (the s2s benchmark reads its CPU time). */
  pid: number;
  stop(): Promise<void>;
  /** SIGKILL: gone at once, no stream closed nor unavailable sent (a crashed or cut-off peer). */
  kill(): Promise<void>;
}

export interface ProsodyOptions {
  dir: string;
  domain: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** Other domains and the loopback address they resolve to (Prosody's hosts file). */
  hosts: Record<string, string>;
  users: Record<string, string>;
  /** The address it listens on (127.0.0.1 when absent); another 127.0.0.x lets two Prosody take 5269 each. */
  host?: string;
  /** Its s2s port (a free one when absent). */
  s2sPort?: number;
  /** Its log level (debug when absent; the benchmark logs less). */
  logLevel?: 'debug' | 'info' | 'warn';
  /**
   * Off: Prosody authenticates peers by certificate only (SASL EXTERNAL, s2s_secure_auth). On:
   * mod_dialback is loaded and s2s_secure_auth is off, so a peer whose certificate Prosody does not
   * trust authenticates by XEP-0220 dialback (still over TLS: s2s_require_encryption).
   */
  dialback?: boolean;
  /**
   * A XEP-0045 service of Prosody's own (`Component "<muc>" "muc"`, mod_muc), e.g.
   * `conference.p.test`: its certificate must name that domain too (`certFile`).
   */
  muc?: string;
}

/** `prosody --version` waits on its console, so look for the Debian binary instead. */
export const prosodyInstalled = (): boolean => ['/usr/bin/prosody', '/usr/bin/prosodyctl'].every((f) => existsSync(f));

export async function startProsody(o: ProsodyOptions): Promise<ProsodyPeer> {
  const [c2sPort, s2sPort] = [await freePort(), o.s2sPort ?? (await freePort())];
  mkdirSync(join(o.dir, 'data'), { recursive: true });
  mkdirSync(join(o.dir, 'certs'), { recursive: true });
  const hostsFile = join(o.dir, 'hosts');
  writeFileSync(
    hostsFile,
    Object.entries(o.hosts)
      .map(([d, ip]) => `${ip} ${d}\n`)
      .join(''),
  );
  const logFile = join(o.dir, 'prosody.log');
  const q = JSON.stringify;
  const cfg = join(o.dir, 'prosody.cfg.lua');
  writeFileSync(
    cfg,
    [
      'run_as_root = true',
      `pidfile = ${q(join(o.dir, 'prosody.pid'))}`,
      `data_path = ${q(join(o.dir, 'data'))}`,
      `certificates = ${q(join(o.dir, 'certs'))}`,
      `log = { ${o.logLevel ?? 'debug'} = ${q(logFile)} }`,
      `interfaces = { ${q(o.host ?? '127.0.0.1')} }`,
      `c2s_ports = { ${c2sPort} }`,
      `s2s_ports = { ${s2sPort} }`,
      'c2s_direct_tls_ports = {}',
      's2s_direct_tls_ports = {}',
      'http_ports = {}',
      'https_ports = {}',
      `modules_enabled = { "roster", "saslauth", "tls", "disco", "version", "ping", "posix"${o.dialback ? ', "dialback"' : ''} }`,
      o.dialback ? 'modules_disabled = {}' : 'modules_disabled = { "dialback" }',
      `s2s_secure_auth = ${o.dialback ? 'false' : 'true'}`,
      's2s_require_encryption = true',
      'c2s_require_encryption = true',
      'authentication = "internal_hashed"',
      'storage = "internal"',
      `unbound = { hoststxt = ${q(hostsFile)} }`,
      `ssl = { cafile = ${q(o.caFile)} }`,
      `VirtualHost ${q(o.domain)}`,
      `  ssl = { certificate = ${q(o.certFile)}, key = ${q(o.keyFile)}, cafile = ${q(o.caFile)} }`,
      ...(o.muc
        ? [
            `Component ${q(o.muc)} "muc"`,
            `  ssl = { certificate = ${q(o.certFile)}, key = ${q(o.keyFile)}, cafile = ${q(o.caFile)} }`,
            '  restrict_room_creation = false',
          ]
        : []),
      '',
    ].join('\n'),
  );
  for (const [user, password] of Object.entries(o.users)) {
    const r = spawnSync('prosodyctl', ['--config', cfg, 'register', user, o.domain, password], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`prosodyctl register ${user}: ${r.stderr || r.stdout}`);
  }
  const child: ChildProcess = spawn('prosody', ['--config', cfg, '-F'], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // both ports answering (not the log: a restart in the same directory appends to the last run's)
  const host = o.host ?? '127.0.0.1';
  await waitFor(async () => child.exitCode !== null || ((await accepting(host, s2sPort)) && (await accepting(host, c2sPort))), {
    what: 'prosody listening',
    timeoutMs: 30_000,
  });
  if (child.exitCode !== null) throw new Error(`prosody exited: ${readLog(logFile).slice(-2000)}`);
  return {
    domain: o.domain,
    c2sPort,
    s2sPort,
    logFile,
    pid: child.pid!,
    async stop() {
      const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
      if (running()) process.kill(child.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (running()) process.kill(child.pid!, 'SIGKILL');
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      await exited;
    },
  };
}

function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
