import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '#libs/testing';

/**
 * A Debian ejabberd (23.01) as a federation peer for tests (issue 13), in its own directory and
 * Erlang node, on loopback. ejabberd finds the Glider domain through Erlang's resolver with our
 * own inetrc (`ERL_INETRC`: a hosts line, file before DNS), then port 5269 (its
 * `outgoing_s2s_port` default). Debian's ejabberdctl runs the node as the `ejabberd` user, so the
 * directory is handed to it. Stopped with `ejabberdctl stop`, then by PID.
 */
export interface EjabberdPeer {
  domain: string;
  c2sPort: number;
  s2sPort: number;
  logFile: string;
  stop(): Promise<void>;
}

export interface EjabberdOptions {
  domain: string;
  /** PEM with the certificate chain and the key (ejabberd's certfiles). */
  pemFile: string;
  caFile: string;
  hosts: Record<string, string>;
  users: Record<string, string>;
}

export const ejabberdInstalled = (): boolean => existsSync('/usr/sbin/ejabberdctl') && userInfo().uid === 0;

export async function startEjabberd(o: EjabberdOptions): Promise<EjabberdPeer> {
  const [c2sPort, s2sPort] = [await freePort(), await freePort()];
  // its own directory under the system tmp (the ejabberd user cannot enter a test's 0700 directory)
  const dir = mkdtempSync(join(tmpdir(), 'glider-ejabberd-'));
  o = { ...o, pemFile: copyIn(o.pemFile, dir, 'server.pem'), caFile: copyIn(o.caFile, dir, 'ca.pem') };
  for (const d of ['spool', 'logs']) mkdirSync(join(dir, d), { recursive: true });
  const inetrc = join(dir, 'inetrc');
  writeFileSync(
    inetrc,
    Object.entries(o.hosts)
      .map(([d, ip]) => `{host, {${ip.split('.').join(',')}}, [${JSON.stringify(d)}]}.\n`)
      .join('') + '{lookup, [file, dns]}.\n',
  );
  const cfg = join(dir, 'ejabberd.yml');
  const q = JSON.stringify;
  writeFileSync(
    cfg,
    [
      `hosts: [${q(o.domain)}]`,
      'loglevel: info',
      `certfiles: [${q(o.pemFile)}]`,
      `ca_file: ${q(o.caFile)}`,
      'listen:',
      `  - { port: ${c2sPort}, ip: "127.0.0.1", module: ejabberd_c2s, starttls_required: true }`,
      `  - { port: ${s2sPort}, ip: "127.0.0.1", module: ejabberd_s2s_in }`,
      's2s_use_starttls: required',
      'auth_method: internal',
      'default_db: mnesia',
      'access_rules: { c2s: { allow: all }, s2s: { allow: all } }',
      'modules: { mod_disco: {}, mod_roster: {}, mod_version: {}, mod_ping: {} }',
      '',
    ].join('\n'),
  );
  chownTree(dir, 'ejabberd');
  const node = `glidertest${c2sPort}@localhost`;
  const base = ['--config-dir', dir, '--config', cfg, '--logs', join(dir, 'logs'), '--spool', join(dir, 'spool'), '--node', node];
  const env = { ...process.env, ERL_INETRC: inetrc };
  const child: ChildProcess = spawn('ejabberdctl', [...base, 'foreground'], { stdio: 'ignore', env });
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
