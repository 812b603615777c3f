/**
 * The local cluster of test/harness/cluster.ts (real nats-server with JetStream, 2 routers, presence,
 * 2 edges on loopback), composed here so that each member can be killed, stopped and started again
 * with the same settings, nats-server included.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '#libs/testing';
import { startGlider, type GliderProcess } from '../harness/glider-process.js';
import { gliderctl } from '../harness/gliderctl.js';
import { edgeEnv, type EdgeEndpoint } from '../harness/standalone.js';
import { NatsProcess } from './nats-process.js';

export interface ChaosClusterOptions {
  /** Extra GLIDER_* settings for every process. */
  env?: Record<string, string>;
  /** Extra GLIDER_* settings for one member, by name (e.g. `edge-2`). */
  memberEnv?: Record<string, Record<string, string>>;
  logLevel?: string;
  /** A nats-server already started (the cluster stops it with the rest); a new one when absent. */
  nats?: NatsProcess;
  /** muc replicas (apps/muc, `muc.enabled`), named muc-1..n; none when absent. */
  mucs?: number;
  /** The cluster's XMPP domain (`domains`); `localhost` when absent. */
  domain?: string;
}

interface Member {
  name: string;
  app: string;
  env: Record<string, string>;
  proc: GliderProcess;
}

export class ChaosCluster {
  domain = 'localhost';
  readonly edges: EdgeEndpoint[] = [];
  private readonly members = new Map<string, Member>();
  private readonly stopped = new Set<number>();
  private adminPort = 0;
  private memberEnv: Record<string, Record<string, string>> = {};

  private constructor(
    readonly dataDir: string,
    readonly nats: NatsProcess,
  ) {}

  static async start(opts: ChaosClusterOptions = {}): Promise<ChaosCluster> {
    const dataDir = mkdtempSync(join(tmpdir(), 'glider-chaos-'));
    const nats = opts.nats ?? (await NatsProcess.start(mkdtempSync(join(dataDir, 'nats-'))));
    const c = new ChaosCluster(dataDir, nats);
    try {
      await c.boot(opts);
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  private async boot(opts: ChaosClusterOptions): Promise<void> {
    this.memberEnv = opts.memberEnv ?? {};
    if (opts.domain) this.domain = opts.domain;
    const common = {
      GLIDER_DATA_DIR: this.dataDir,
      GLIDER_BUS__KIND: 'nats',
      GLIDER_BUS__URL: this.nats.url,
      GLIDER_HTTP__HOST: '127.0.0.1',
      GLIDER_LOG__LEVEL: opts.logLevel ?? 'info',
      ...(opts.domain ? { GLIDER_DOMAINS: JSON.stringify([opts.domain]) } : {}),
      ...opts.env,
    };
    this.adminPort = await freePort();
    for (let i = 1; i <= 2; i++) {
      await this.add('router', `router-${i}`, {
        ...common,
        GLIDER_ROUTER__ID: `router-${i}`,
        GLIDER_ADMIN__GRPC_PORT: String(i === 1 ? this.adminPort : await freePort()),
      });
    }
    await this.add('presence', 'presence-1', { ...common, GLIDER_PRESENCE__ID: 'presence-1' });
    for (let i = 1; i <= 2; i++) {
      const edge = await edgeEnv();
      await this.add('edge', `edge-${i}`, { ...common, GLIDER_EDGE__ID: `edge-${i}`, ...edge.env });
      this.edges.push(edge.endpoint);
    }
    for (let i = 1; i <= (opts.mucs ?? 0); i++) {
      await this.add('muc', `muc-${i}`, { ...common, GLIDER_MUC__ID: `muc-${i}`, GLIDER_MUC__ENABLED: 'true' });
    }
  }

  private async add(app: string, name: string, env: Record<string, string>): Promise<void> {
    const full = { ...env, ...this.memberEnv[name], GLIDER_HTTP__PORT: String(await freePort()) };
    const proc = await startGlider(app, full, { logDir: this.dataDir, name });
    this.members.set(name, { name, app, env: full, proc });
  }

  certPem(): string {
    return readFileSync(join(this.dataDir, 'tls', 'self-signed.crt'), 'utf8');
  }

  /** Through the real gliderctl; with the admin token file when the routers made one (admin.tokenFile). */
  async addUser(user: string, password: string): Promise<void> {
    const jid = `${user}@${this.domain}`;
    const tokenFile = join(this.dataDir, 'admin-token');
    const auth = existsSync(tokenFile) ? ['--token-file', tokenFile] : [];
    const r = await gliderctl([...auth, 'user', 'add', jid], { adminPort: this.adminPort, stdin: password + '\n' });
    if (r.code !== 0) throw new Error(`gliderctl user add ${jid} failed (${r.code}): ${r.stderr}${r.stdout}`);
  }

  pid(name: string): number {
    return this.member(name).proc.pid;
  }

  logFile(name: string): string {
    return this.member(name).proc.logFile;
  }

  /** The sum of a counter's samples on a member's Prometheus endpoint (/metrics on its HTTP port). */
  async counter(name: string, metric: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${this.member(name).env.GLIDER_HTTP__PORT}/metrics`);
    const text = await res.text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const m = new RegExp(`^${metric}(\\{[^}]*\\})? ([0-9.e+-]+)`).exec(line);
      if (m) sum += Number(m[2]);
    }
    return sum;
  }

  /** SIGKILL (or another ending signal), and waits until the process is gone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const { proc } = this.member(name);
    this.stopped.delete(proc.pid);
    await proc.stop(signal);
  }

  /** SIGSTOP: the process is frozen, its sockets stay open. */
  freeze(name: string): void {
    const pid = this.pid(name);
    process.kill(pid, 'SIGSTOP');
    this.stopped.add(pid);
  }

  thaw(name: string): void {
    const pid = this.pid(name);
    process.kill(pid, 'SIGCONT');
    this.stopped.delete(pid);
  }

  /** Starts a member that ended again, with the settings it had (ports included); waits until ready. */
  async restart(name: string): Promise<void> {
    const m = this.member(name);
    if (m.proc.child.exitCode === null && m.proc.child.signalCode === null) throw new Error(`${name} is still running`);
    m.proc = await startGlider(m.app, m.env, { logDir: this.dataDir, name });
  }

  /** Kills everything this cluster started, by PID; removes the data unless `keepData`. */
  async stop(keepData = false): Promise<void> {
    for (const pid of this.stopped) tryKill(pid, 'SIGCONT');
    this.stopped.clear();
    for (const m of [...this.members.values()].reverse()) {
      await m.proc.stop('SIGKILL');
    }
    await this.nats.kill('SIGKILL');
    if (!keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  private member(name: string): Member {
    const m = this.members.get(name);
    if (!m) throw new Error(`no cluster member ${name}`);
    return m;
  }
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}
