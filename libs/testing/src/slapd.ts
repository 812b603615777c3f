/**
 * Debian's OpenLDAP server (`slapd`) for directory tests: loopback only, a generated slapd.conf
 * (core, cosine, inetorgperson, nis schemas; mdb database; the memberOf overlay so group
 * membership shows on user entries as Active Directory does), TLS with the given certificate on
 * ldap:// (StartTLS) and ldaps://, entries loaded with ldapadd (so overlays see them). Killed by PID
 * on stop() and when the test process exits; restart() keeps the data and ports.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { accepts } from './nats-server.js';
import { tempDir } from './temp-dir.js';
import { waitFor } from './wait-for.js';

const run = promisify(execFile);

export interface SlapdOptions {
  /** Base DN, e.g. dc=example,dc=test (its entry is made). */
  suffix: string;
  /** Entries below the suffix, LDIF. */
  ldif: string;
  tls: { certFile: string; keyFile: string; caFile: string };
  startTimeoutMs?: number;
}

export interface Slapd {
  /** ldap:// (StartTLS offered) and ldaps:// ports on 127.0.0.1. */
  port: number;
  tlsPort: number;
  rootDn: string;
  rootPassword: string;
  /** Applies LDIF changes (changetype records) as the root DN. */
  modify(ldif: string): Promise<void>;
  /** Adds entries as the root DN. */
  add(ldif: string): Promise<void>;
  log(): string;
  stop(): Promise<void>;
  /** Stops the server, keeping its data (a directory outage). */
  kill(): Promise<void>;
  /** Starts it again on the same ports. */
  start(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;

export function slapdBinary(): string {
  for (const p of ['/usr/sbin/slapd', '/usr/lib/slapd']) if (existsSync(p)) return p;
  throw new Error('slapd not found (Debian packages slapd ldap-utils)');
}

export async function startSlapd(opts: SlapdOptions): Promise<Slapd> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) if (c.pid) tryKill(c.pid);
    });
  }
  const dir = tempDir('glider-slapd-');
  const [port, tlsPort] = [await freePort(), await freePort()];
  const rootDn = `cn=admin,${opts.suffix}`;
  const rootPassword = 'root-secret';
  mkdirSync(join(dir.path, 'db'));
  const conf = join(dir.path, 'slapd.conf');
  writeFileSync(
    conf,
    [
      ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'moduleload memberof',
      `pidfile ${join(dir.path, 'slapd.pid')}`,
      `TLSCACertificateFile ${opts.tls.caFile}`,
      `TLSCertificateFile ${opts.tls.certFile}`,
      `TLSCertificateKeyFile ${opts.tls.keyFile}`,
      'sizelimit 5000',
      'database mdb',
      'maxsize 67108864',
      `suffix "${opts.suffix}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPassword}`,
      `directory ${join(dir.path, 'db')}`,
      'overlay memberof',
      'access to attrs=userPassword by self write by anonymous auth by * none',
      'access to * by * read',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    const c = spawn(slapdBinary(), ['-d', '0', '-f', conf, '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    live.add(c);
    let exited = false;
    const onData = (d: Buffer): void => void (output = (output + d.toString()).slice(-16_384));
    c.stdout?.on('data', onData);
    c.stderr?.on('data', onData);
    c.once('exit', () => {
      exited = true;
      live.delete(c);
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`slapd exited: ${output}`);
        return (await accepts(port)) && (await accepts(tlsPort));
      },
      { timeoutMs: opts.startTimeoutMs ?? 15_000, intervalMs: 50, what: `slapd on port ${port}` },
    );
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise((resolve) => c.once('exit', resolve));
    tryKill(c.pid!);
    await gone;
  };
  const ldap = async (tool: 'ldapadd' | 'ldapmodify', ldif: string): Promise<void> => {
    const file = join(dir.path, `change-${Date.now()}-${Math.random().toString(36).slice(2)}.ldif`);
    writeFileSync(file, ldif);
    await run(tool, ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', rootDn, '-w', rootPassword, '-f', file], {
      env: { ...process.env, LDAPTLS_REQCERT: 'never' },
    });
  };
  await start();
  const dc = /^dc=([^,]+)/.exec(opts.suffix)?.[1] ?? 'example';
  await ldap('ldapadd', `dn: ${opts.suffix}\nobjectClass: dcObject\nobjectClass: organization\no: ${dc}\ndc: ${dc}\n\n${opts.ldif}`);
  return {
    port,
    tlsPort,
    rootDn,
    rootPassword,
    add: (ldif) => ldap('ldapadd', ldif),
    modify: (ldif) => ldap('ldapmodify', ldif),
    log: () => output,
    kill,
    start,
    stop: async () => {
      await kill();
      dir.remove();
    },
  };
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
}
