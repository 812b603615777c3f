import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '#libs/testing';

/**
 * A Debian ejabberd (23.01) as a federation peer for tests (issue 13), in its own directory and
 * Erlang node, on loopback. Its outbound s2s (p1_xmpp 1.6 `xmpp_stream_out`) looks up SRV records
 * with `inet_res` (DNS only: the `nameserver` in our inetrc, `ERL_INETRC`, which Debian's
 * ejabberdctl sets to `<config dir>/inetrc`) and then the target's address with libc's
 * `getaddrinfo` (the hosts file). So a test that wants ejabberd to reach Glider gives it both: a
 * DNS server (test/harness/dns-server.ts) publishing `_xmpp-server._tcp.<glider domain>` on
 * Glider's free port, and `hosts` — written to a hosts file that is bind-mounted over /etc/hosts
 * in a mount namespace of ejabberd's own (`unshare --mount`; the network is shared, so loopback and
 * free ports work as for every test). Debian's ejabberdctl runs the node as the `ejabberd` user,
 * so the directory is handed to it. Stopped with `ejabberdctl stop`, then by PID.
 */
export interface EjabberdPeer {
  domain: string;
  c2sPort: number;
  s2sPort: number;
  logFile: string;
  /** The process it was started as (its tree holds the Erlang VM; the s2s benchmark reads its CPU time). */
  pid: number;
  stop(): Promise<void>;
}

export interface EjabberdOptions {
  domain: string;
  /** Its certificate chain and key (PEM files); written together as ejabberd's one `certfiles` entry. */
  cert: { chainFile: string; keyFile: string };
  caFile: string;
  hosts?: Record<string, string>;
  /** The DNS server ejabberd's outbound s2s asks (SRV, then A), alone: the system's are not asked. */
  nameserver?: { host: string; port: number };
  users: Record<string, string>;
  /** Its s2s port (a free one when absent). */
  s2sPort?: number;
  /** A XEP-0045 service of its own (mod_muc) on this domain, e.g. `conference.e.test` (the certificate must name it too). */
  muc?: string;
  /**
   * XEP-0220 dialback (`mod_s2s_dialback`, ejabberd 23.01's src/mod_s2s_dialback.erl; its one
   * option `access` left at `all`): offered to peers, used when SASL EXTERNAL fails, and — its
   * `s2s_out_tls_verify` hook — the peer's certificate is then not checked on outbound streams.
   */
  dialback?: boolean;
}

export const ejabberdInstalled = (): boolean => existsSync('/usr/sbin/ejabberdctl') && userInfo().uid === 0;

export async function startEjabberd(o: EjabberdOptions): Promise<EjabberdPeer> {
  const [c2sPort, s2sPort] = [await freePort(), o.s2sPort ?? (await freePort())];
  // its own directory under the system tmp (the ejabberd user cannot enter a test's 0700 directory)
  const dir = mkdtempSync(join(tmpdir(), 'glider-ejabberd-'));
  const pemFile = join(dir, 'server.pem');
  writeFileSync(pemFile, readFileSync(o.cert.chainFile, 'utf8') + readFileSync(o.cert.keyFile, 'utf8'));
  o = { ...o, caFile: copyIn(o.caFile, dir, 'ca.pem') };
  for (const d of ['spool', 'logs']) mkdirSync(join(dir, d), { recursive: true });
  // SRV lookups ask `nameserver` alone (inet_res); addresses come from the hosts file below
  const inetrc = join(dir, 'inetrc');
  writeFileSync(inetrc, o.nameserver ? `{resolv_conf, ""}.\n{nameserver, {${o.nameserver.host.split('.').join(',')}}, ${o.nameserver.port}}.\n` : '');
  const cfg = join(dir, 'ejabberd.yml');
  const q = JSON.stringify;
  writeFileSync(
    cfg,
    [
      `hosts: [${q(o.domain)}]`,
      'loglevel: info',
      `certfiles: [${q(pemFile)}]`,
      `ca_file: ${q(o.caFile)}`,
      'listen:',
      `  - { port: ${c2sPort}, ip: "127.0.0.1", module: ejabberd_c2s, starttls_required: true }`,
      `  - { port: ${s2sPort}, ip: "127.0.0.1", module: ejabberd_s2s_in }`,
      's2s_use_starttls: required',
      'auth_method: internal',
      'default_db: mnesia',
      'access_rules: { c2s: { allow: all }, s2s: { allow: all } }',
      `modules: { mod_disco: {}, mod_roster: {}, mod_version: {}, mod_ping: {}${o.muc ? `, mod_muc: { hosts: [${q(o.muc)}], access_create: all }` : ''}${o.dialback ? ', mod_s2s_dialback: {}' : ''} }`,
      '',
    ].join('\n'),
  );
  chownTree(dir, 'ejabberd');
  const node = `glidertest${c2sPort}@localhost`;
  const base = ['--config-dir', dir, '--config', cfg, '--logs', join(dir, 'logs'), '--spool', join(dir, 'spool'), '--node', node];
  const env = { ...process.env, ERL_INETRC: inetrc };
  const hostsFile = join(dir, 'hosts');
  writeFileSync(
    hostsFile,
    readFileSync('/etc/hosts', 'utf8') +
      '\n' +
      Object.entries(o.hosts ?? {})
        .map(([d, ip]) => `${ip} ${d}\n`)
        .join(''),
  );
  // its own /etc/hosts: a private mount namespace, the hosts file bound over /etc/hosts, then ejabberd
  const child: ChildProcess = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec ejabberdctl "$@"', hostsFile, ...base, 'foreground'],
    { stdio: 'ignore', env },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const logFile = join(dir, 'logs', 'ejabberd.log');
  await waitFor(() => / is started in the node /.test(readLog(logFile)) || child.exitCode !== null, { what: 'ejabberd started', timeoutMs: 60_000 });
  if (child.exitCode !== null) throw new Error(`ejabberd exited: ${readLog(logFile).slice(-2000)}`);
  for (const [user, password] of Object.entries(o.users)) {
    const r = spawnSync('ejabberdctl', [...base, 'register', user, o.domain, password], { encoding: 'utf8', timeout: 60_000, env });
    if (r.status !== 0) throw new Error(`ejabberdctl register ${user}: ${r.stderr || r.stdout}`);
  }
  return {
    domain: o.domain,
    c2sPort,
    s2sPort,
    logFile,
    pid: child.pid!,
    async stop() {
      spawnSync('ejabberdctl', [...base, 'stop'], { timeout: 30_000, env, stdio: 'ignore' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000).unref())]);
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function copyIn(file: string, dir: string, name: string): string {
  const to = join(dir, name);
  copyFileSync(file, to);
  return to;
}

function chownTree(path: string, user: string): void {
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  const walk = (p: string) => {
    chownSync(p, uid, gid);
    if (statSync(p).isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
  };
  walk(path);
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
