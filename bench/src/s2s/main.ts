// The s2s benchmark of issue 13 (docs/performance.md, "Federation"): the same load across
// federation between two Glider standalones, two Prosody and two ejabberd, one pair at a time on
// this machine. Senders on the first server of a pair each keep `--window` chat messages in flight
// to their own receiver on the second (closed loop), for `--duration` seconds after a warm-up; the
// run prints messages/s received, latency percentiles (send → receive, over s2s) and the CPU time
// of both servers' process trees per message. Certificates from one test CA, SASL EXTERNAL.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { makeFederationPki, xmppServerSans, type FederationPki } from '#libs/federation';
import { freePort } from '#libs/testing';
import { startDnsServer } from '../../../test/harness/dns-server.js';
import { ejabberdInstalled, startEjabberd } from '../../../test/harness/ejabberd.js';
import { gliderctl } from '../../../test/harness/gliderctl.js';
import { prosodyInstalled, startProsody } from '../../../test/harness/prosody.js';
import { startStandalone } from '../../../test/harness/standalone.js';
import { XmppConnection } from '../client/xmpp-connection.js';
import { treeCpuUs } from '../load/process-stats.js';
import { Histogram } from '../stats/histogram.js';

interface Side {
  domain: string;
  host: string;
  c2sPort: number;
  pid: number;
}
interface Pair {
  name: string;
  a: Side;
  b: Side;
  stop(): Promise<void>;
}
interface Result {
  name: string;
  msgs: number;
  perSec: number;
  p50: number;
  p99: number;
  cpuUsPerMsg: number;
  /** The 1-minute load average at the end of the measurement (the machine is shared: read figures beside it). */
  load: number;
}

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '20' },
    window: { type: 'string', default: '20' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    targets: { type: 'string', default: 'glider,prosody,ejabberd' },
    /** Glider's XEP-0313 archive (`archive.enabled`): off like the peers' configs, `on` to see what it costs. */
    archive: { type: 'string', default: 'off' },
    /** Writes "<pid of the first server> <pid of the second>" here when the measurement starts (to attach perf or strace). */
    'pids-file': { type: 'string' },
  },
});
const USERS = Number(args.users);
const WINDOW = Number(args.window);
const DURATION_MS = Number(args.duration) * 1000;
const WARMUP_MS = Number(args.warmup) * 1000;
const PASSWORD = 'bench-s2s-password';
const users = Array.from({ length: USERS }, (_, i) => `u${i}`);

async function gliderPair(pki: FederationPki): Promise<Pair> {
  const [portA, portB] = [await freePort(), await freePort()];
  const start = (domain: string, port: number, peer: string, peerPort: number) => {
    const c = pki.issue(domain, { eku: 'serverAuth', san: [...xmppServerSans(domain), 'DNS:localhost'] });
    return startStandalone({
      GLIDER_LOG__LEVEL: 'warn',
      GLIDER_DOMAINS: JSON.stringify([domain]),
      GLIDER_TLS__CERT_FILE: c.chainFile,
      GLIDER_TLS__KEY_FILE: c.keyFile,
      GLIDER_TLS__OCSP_STAPLING: 'false',
      GLIDER_S2S__ENABLED: 'true',
      GLIDER_S2S__PORT: String(port),
      GLIDER_S2S__DIRECT_TLS_PORT: '0',
      GLIDER_S2S__TRUST_FILE: pki.caFile,
      GLIDER_S2S__POLICY: JSON.stringify({ mode: 'allowlist', allow: [peer] }),
      GLIDER_S2S__ROUTES: JSON.stringify({ [peer]: { host: '127.0.0.1', port: peerPort } }),
      GLIDER_EDGE__LIMITS__MAX_CONNECTIONS_PER_IP: String(USERS * 4 + 10),
      // like the peers (test/harness/prosody.ts, ejabberd.ts run no MAM): no message archive unless asked
      GLIDER_ARCHIVE__ENABLED: String(args.archive === 'on'),
    });
  };
  const [a, b] = await Promise.all([start('ga.test', portA, 'gb.test', portB), start('gb.test', portB, 'ga.test', portA)]);
  for (const [d, u] of [a, b].flatMap((x, i) => users.map((u) => [x, `${u}@${i === 0 ? 'ga.test' : 'gb.test'}`] as const))) {
    const r = await gliderctl(['user', 'add', u], { adminPort: d.adminPort, stdin: PASSWORD + '\n' });
    if (r.code !== 0) throw new Error(`gliderctl user add ${u}: ${r.stderr}`);
  }
  const side = (x: typeof a, domain: string): Side => ({ domain, host: x.edges[0]!.host, c2sPort: x.edges[0]!.c2sPort, pid: x.processes[0]!.pid });
  return { name: 'Glider ↔ Glider', a: side(a, 'ga.test'), b: side(b, 'gb.test'), stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
}

/** Two Prosody on their own 127.0.0.x, each on 5269 there (Prosody dials the peer's address on 5269), hosts files naming each other. */
async function prosodyPair(pki: FederationPki, dir: string): Promise<Pair> {
  const hosts = { 'pa.test': '127.0.0.31', 'pb.test': '127.0.0.32' };
  const start = async (domain: 'pa.test' | 'pb.test', peer: 'pa.test' | 'pb.test') => {
    const c = pki.issue(domain, { eku: 'serverAuth', san: xmppServerSans(domain) });
    return startProsody({
      dir: join(dir, domain),
      domain,
      host: hosts[domain],
      s2sPort: 5269,
      logLevel: 'warn',
      certFile: c.chainFile,
      keyFile: c.keyFile,
      caFile: pki.caFile,
      hosts: { [peer]: hosts[peer] },
      users: Object.fromEntries(users.map((u) => [u, PASSWORD])),
    });
  };
  const [a, b] = await Promise.all([start('pa.test', 'pb.test'), start('pb.test', 'pa.test')]);
  const side = (x: typeof a, domain: 'pa.test' | 'pb.test'): Side => ({ domain, host: hosts[domain], c2sPort: x.c2sPort, pid: x.pid });
  return { name: 'Prosody ↔ Prosody', a: side(a, 'pa.test'), b: side(b, 'pb.test'), stop: async () => void (await Promise.all([a.stop(), b.stop()])) };
}

/** Two ejabberd finding each other by SRV records (a test DNS server) and their own hosts files. */
async function ejabberdPair(pki: FederationPki): Promise<Pair> {
  const [s2sA, s2sB] = [await freePort(), await freePort()];
  const dns = await startDnsServer({
    srv: { '_xmpp-server._tcp.ea.test': [{ port: s2sA, target: 'ea.test' }], '_xmpp-server._tcp.eb.test': [{ port: s2sB, target: 'eb.test' }] },
  });
  const start = async (domain: string, port: number) => {
    // ejabberd 23.01: clientAuth for its outbound EXTERNAL, DNS names only (test/federation-peers.e2e.ts)
    const c = pki.issue(domain, { eku: 'serverAuth,clientAuth', san: [`DNS:${domain}`] });
    return startEjabberd({
      domain,
      cert: c,
      caFile: pki.caFile,
      nameserver: dns,
      s2sPort: port,
      hosts: { 'ea.test': '127.0.0.1', 'eb.test': '127.0.0.1' },
      users: Object.fromEntries(users.map((u) => [u, PASSWORD])),
    });
  };
  const a = await start('ea.test', s2sA);
  const b = await start('eb.test', s2sB);
  const side = (x: typeof a, domain: string): Side => ({ domain, host: '127.0.0.1', c2sPort: x.c2sPort, pid: x.pid });
  return {
    name: 'ejabberd ↔ ejabberd',
    a: side(a, 'ea.test'),
    b: side(b, 'eb.test'),
    stop: async () => {
      await Promise.all([a.stop(), b.stop()]);
      await dns.stop();
    },
  };
}

async function login(s: Side, user: string, resource: string): Promise<XmppConnection> {
  const { conn } = await XmppConnection.login({
    host: s.host,
    port: s.c2sPort,
    domain: s.domain,
    username: user,
    password: PASSWORD,
    resource,
    timeoutMs: 30_000,
  });
  return conn;
}

/** Closed loop: each sender keeps WINDOW messages in flight to its receiver; counts and times what arrives. */
async function measure(pair: Pair): Promise<Result> {
  const senders = await Promise.all(users.map((u) => login(pair.a, u, 's')));
  const receivers = await Promise.all(users.map((u) => login(pair.b, u, 'r')));
  const hist = new Histogram();
  let measuring = false;
  let received = 0;
  let stopped = false;
  const sendOne = (i: number): void => {
    if (stopped) return;
    senders[i]!.send(`<message to='${users[i]}@${pair.b.domain}/r' type='chat'><body>${performance.now()}</body></message>`);
  };
  receivers.forEach((r, i) => {
    r.onElement = (xml) => {
      const m = /<body>([\d.]+)<\/body>/.exec(xml);
      if (!m) return;
      if (measuring) {
        received++;
        hist.recordMs(performance.now() - Number(m[1]));
      }
      sendOne(i);
    };
  });
  // the first message of each pair opens the s2s stream; then the window fills
  for (let i = 0; i < USERS; i++) for (let w = 0; w < WINDOW; w++) sendOne(i);
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  if (args['pids-file']) writeFileSync(args['pids-file'], `${pair.a.pid} ${pair.b.pid}\n`);
  const cpu0 = treeCpuUs(pair.a.pid) + treeCpuUs(pair.b.pid);
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, DURATION_MS));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = treeCpuUs(pair.a.pid) + treeCpuUs(pair.b.pid) - cpu0;
  stopped = true;
  for (const c of [...senders, ...receivers]) c.destroy();
  return {
    name: pair.name,
    msgs: received,
    perSec: received / seconds,
    p50: hist.quantile(0.5) / 1000,
    p99: hist.quantile(0.99) / 1000,
    cpuUsPerMsg: received > 0 ? cpu / received : 0,
    load: loadavg()[0]!,
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'glider-bench-s2s-'));
  mkdirSync(dir, { recursive: true });
  const pki = makeFederationPki(dir);
  const results: Result[] = [];
  const wanted = new Set(args.targets.split(','));
  const starters: [string, () => Promise<Pair>, string | undefined][] = [
    ['glider', () => gliderPair(pki), undefined],
    ['prosody', () => prosodyPair(pki, dir), prosodyInstalled() ? undefined : 'prosody not installed'],
    ['ejabberd', () => ejabberdPair(pki), ejabberdInstalled() ? undefined : 'ejabberd not installed or not root'],
  ];
  try {
    for (const [name, start, missing] of starters) {
      if (!wanted.has(name)) continue;
      if (missing) {
        process.stdout.write(`${name}: skipped (${missing})\n`);
        continue;
      }
      const pair = await start();
      try {
        results.push(await measure(pair));
      } finally {
        await pair.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    [
      `s2s benchmark: ${USERS} senders → ${USERS} receivers across federation, ${WINDOW} in flight each, ${DURATION_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up`,
      `Glider's message archive: ${args.archive === 'on' ? 'on' : 'off (as the peers)'}`,
      '| pair | load | messages | msgs/s | p50 ms | p99 ms | CPU µs/msg (both servers) |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...results.map(
        (r) =>
          `| ${r.name} | ${r.load.toFixed(1)} | ${r.msgs} | ${Math.round(r.perSec)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${Math.round(r.cpuUsPerMsg)} |`,
      ),
      '',
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
