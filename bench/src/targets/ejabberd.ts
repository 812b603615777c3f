// ejabberd from Debian's package, started as a plain `erl` process (not via systemd or
// ejabberdctl, which insists on switching user) with bench/peers/ejabberd.yml. Accounts are created
// through its HTTP admin API on loopback, many at once.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { forEachLimited, freePort, notInstalled, makeCertificate, PEERS_DIR, renderConfig, startProcess, stopProcess, tail, waitForPort } from './support.js';
import type { StartOutcome, TargetRequest } from './target.js';

const ERL_LIBS = '/usr/lib/x86_64-linux-gnu';

async function register(httpPort: number, req: TargetRequest, logFile: string): Promise<void> {
  await forEachLimited(req.users, 16, async (i) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: `${req.userPrefix}${i}`, host: req.domain, password: req.password }),
    });
    const text = await res.text();
    if (!res.ok && !text.includes('already registered')) {
      throw new Error(`register ${req.userPrefix}${i}: ${res.status} ${text} ${tail(logFile, 300)}`);
    }
  });
}

export async function startEjabberd(req: TargetRequest): Promise<StartOutcome> {
  const absent =
    notInstalled('erl') ?? (existsSync('/usr/sbin/ejabberdctl') ? undefined : 'ejabberd is not installed (scripts/ci/install-bench-peers.sh installs it)');
  if (absent) return { ok: false, reason: absent };
  const [port, httpPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const muc = `conference.${req.domain}`;
  const { pem } = makeCertificate(req.dir, req.domain);
  const spool = join(req.dir, 'spool');
  mkdirSync(spool, { recursive: true });
  const config = join(req.dir, 'ejabberd.yml');
  renderConfig(join(PEERS_DIR, 'ejabberd.yml'), config, { PORT: port, HTTP_PORT: httpPort, DOMAIN: req.domain, MUC: muc, PEM: pem });
  const logFile = join(req.dir, 'stdout.log');
  const node = `glbench${process.pid}x${distPort}@localhost`;
  const child = startProcess(
    'erl',
    [
      '-sname',
      node,
      '-erl_epmd_port',
      String(distPort),
      '-start_epmd',
      'false',
      // No scheduler busy-waiting: on a shared 2-core box it only burns the CPU others need.
      '+sbwt',
      'none',
      '+sbwtdcpu',
      'none',
      '+sbwtdio',
      'none',
      // TCP_NODELAY on every accepted socket (ejabberd sets none itself), as for Prosody.
      '-kernel',
      'inet_default_listen_options',
      '[{nodelay,true}]',
      '+K',
      'true',
      '+P',
      '1000000',
      '+Q',
      '1000000',
      '-noinput',
      '-mnesia',
      'dir',
      `"${spool}"`,
      '-s',
      'ejabberd',
    ],
    {
      cwd: spool,
      logFile,
      env: {
        ERL_LIBS,
        EJABBERD_CONFIG_PATH: config,
        EJABBERD_LOG_PATH: join(req.dir, 'ejabberd.log'),
        ERL_CRASH_DUMP: join(req.dir, 'erl_crash.dump'),
        ERL_DIST_PORT: String(distPort),
        HOME: req.dir,
      },
    },
  );
  try {
    await waitForPort(port, child, 60_000, join(req.dir, 'ejabberd.log'));
    await waitForPort(httpPort, child, 10_000, join(req.dir, 'ejabberd.log'));
    await register(httpPort, req, join(req.dir, 'ejabberd.log'));
  } catch (err) {
    await stopProcess(child);
    return { ok: false, reason: `ejabberd did not start: ${(err as Error).message}` };
  }
  return {
    ok: true,
    target: {
      label: 'ejabberd',
      host: '127.0.0.1',
      port,
      domain: req.domain,
      mucDomain: muc,
      processes: [{ name: 'ejabberd', pid: child.pid! }],
      notes: [
        'ejabberd: no c2s shaper (Debian: 3000 B/s), no mod_fail2ban, no session cap, backlog 1024, TCP_NODELAY (kernel inet_default_listen_options), no scheduler busy-wait, SCRAM-SHA-256, no MAM/s2s',
      ],
      stop: () => stopProcess(child),
    },
  };
}
