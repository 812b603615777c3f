/**
 * A real DNSSEC-validating resolver for DANE tests: a zone signed with ldns-signzone (Debian
 * ldnsutils; a fresh ECDSA P-256 key per run, NSEC), served to Debian's unbound through an
 * `auth-zone` with `for-upstream: yes` — unbound treats that data as if fetched from upstream and
 * validates it against the zone's key, configured as trust anchor — so the AD bit, SERVFAIL for a
 * bogus record and the absence of AD for an unsigned zone all come from a real validator.
 * `tamper` edits the signed zone text before unbound loads it (a record changed after signing is
 * bogus); `insecure` zones are served unsigned and marked `domain-insecure` (no AD, no failure).
 * Loopback only, a free port (UDP and TCP), killed by PID on stop() and when the test process exits.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DnsClient, RR } from '#libs/dns';
import { freePort } from './free-port.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export interface ZoneSpec {
  /** e.g. `dane.test` */
  name: string;
  /** Zone-file lines after SOA/NS (owner names relative to the zone or absolute with a dot). */
  records: string[];
}

export interface ValidatingResolverOptions {
  signed: ZoneSpec;
  /** Edits the signed zone text before unbound reads it. */
  tamper?: (signedZone: string) => string;
  insecure?: ZoneSpec[];
  startTimeoutMs?: number;
}

export interface ValidatingResolver {
  /** `127.0.0.1:<port>`, for `s2s.dane.resolver`. */
  address: string;
  port: number;
  log(): string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export function unboundBinary(): string {
  for (const p of ['/usr/sbin/unbound', '/usr/bin/unbound']) if (existsSync(p)) return p;
  throw new Error('unbound not found (Debian packages unbound ldnsutils)');
}

export async function startValidatingResolver(opts: ValidatingResolverOptions): Promise<ValidatingResolver> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) if (c.pid) tryKill(c.pid);
    });
  }
  const binary = unboundBinary();
  const dir = tempDir('glider-unbound-');
  const zoneFile = (z: ZoneSpec): string => {
    const file = join(dir.path, `${z.name}.zone`);
    const soa = [`$ORIGIN ${z.name}.`, '$TTL 60', `@ IN SOA ns.${z.name}. admin.${z.name}. 1 3600 600 86400 60`, `@ IN NS ns.${z.name}.`, 'ns IN A 127.0.0.1'];
    writeFileSync(file, [...soa, ...z.records, ...entFillers(z.records), ''].join('\n'));
    return file;
  };
  const signedSource = zoneFile(opts.signed);
  const { stdout } = await run('ldns-keygen', ['-a', 'ECDSAP256SHA256', '-k', opts.signed.name], { cwd: dir.path });
  const key = join(dir.path, stdout.trim());
  await run('ldns-signzone', [signedSource, key], { cwd: dir.path });
  const signedFile = `${signedSource}.signed`;
  if (opts.tamper) writeFileSync(signedFile, opts.tamper(readFileSync(signedFile, 'utf8')));
  const port = await freePort();
  const authZone = (name: string, file: string) => [
    'auth-zone:',
    `  name: "${name}"`,
    `  zonefile: "${file}"`,
    '  for-upstream: yes',
    '  for-downstream: no',
    '  fallback-enabled: no',
  ];
  const conf = join(dir.path, 'unbound.conf');
  const logFile = join(dir.path, 'unbound.log');
  const tlds = [...new Set([opts.signed, ...(opts.insecure ?? [])].map((z) => z.name.split('.').pop()!))];
  writeFileSync(
    conf,
    [
      'server:',
      `  interface: 127.0.0.1@${port}`,
      `  port: ${port}`,
      '  so-reuseport: no',
      '  do-daemonize: no',
      '  do-ip6: no',
      '  num-threads: 1',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${dir.path}"`,
      '  pidfile: ""',
      '  use-syslog: no',
      `  logfile: "${logFile}"`,
      '  verbosity: 1',
      '  val-log-level: 2',
      '  do-not-query-localhost: no',
      '  module-config: "validator iterator"',
      `  trust-anchor-file: "${key}.key"`,
      '  msg-cache-size: 1m',
      '  rrset-cache-size: 1m',
      // RFC 6761 names (test., invalid.) are local zones by default; these are ours
      ...tlds.map((t) => `  local-zone: "${t}." nodefault`),
      ...(opts.insecure ?? []).map((z) => `  domain-insecure: "${z.name}"`),
      ...authZone(opts.signed.name, signedFile),
      ...(opts.insecure ?? []).flatMap((z) => authZone(z.name, zoneFile(z))),
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => `${stderr}${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`;
  const client = new DnsClient({ resolver: `127.0.0.1:${port}`, timeoutMs: 500, tries: 1, udpPayloadBytes: 1232, maxResponseBytes: 16_384, maxRecords: 16 });
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`unbound exited: ${log()}`);
        const a = await client.query(`ns.${opts.signed.name}`, RR.A);
        return a.secure && a.records.length === 1;
      },
      { timeoutMs: opts.startTimeoutMs ?? 15_000, what: `unbound validating ${opts.signed.name} on port ${port}` },
    );
  } catch (err) {
    tryKill(child.pid);
    throw new Error(`${(err as Error).message}\n${log()}`);
  }
  return {
    address: `127.0.0.1:${port}`,
    port,
    log,
    stop: async () => {
      tryKill(child.pid);
      await exited;
      live.delete(child);
      dir.remove();
    },
  };
}

/**
 * unbound 1.17's auth-zone does not see empty non-terminals when it proves a name absent: asked
 * for `_xmpps-server._tcp.c` beside an existing `_xmpp-server._tcp.c`, it sends the denial of the
 * wildcard under the wrong closest encloser and its own validator finds the NXDOMAIN bogus ("nameerror
 * proof failed"). A TXT record at each `_tcp.<name>` makes those names real, so the proofs are
 * complete; the records the tests ask for are unchanged.
 */
function entFillers(records: string[]): string[] {
  const owners = new Set(records.map((r) => r.split(/\s+/)[0]!));
  const fillers = new Set<string>();
  for (const owner of owners) {
    const m = /^_[^.]+\.(_(?:tcp|udp)\..+)$/.exec(owner);
    if (m && !owners.has(m[1]!)) fillers.add(m[1]!);
  }
  return [...fillers].map((n) => `${n} IN TXT "empty non-terminal made real for unbound's auth-zone"`);
}

function tryKill(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}
