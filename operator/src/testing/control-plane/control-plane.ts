import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, tempDir, type TempDir } from '#libs/testing';
import { createCa, issueServerCertificate } from '../../tls/pki.js';
import type { KubeBinaries } from './binaries.js';
import { SyncRequester } from './sync-request.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ControlPlaneOptions {
  /** How long etcd, kube-apiserver and kube-controller-manager may take to be ready. */
  startTimeoutMs?: number;
  /** Keep the directory with certificates, etcd data and the components' logs after stop(). */
  keepDir?: boolean;
}

// etcd, kube-apiserver and kube-controller-manager never outlive the test process: killed by PID
// when it exits, and when a signal ends it (a test runner's timeout), then it dies of that signal.
const live = new Set<ChildProcess>();
const dirs = new Set<TempDir>();
const killAll = (): void => {
  for (const p of live) if (p.pid && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
  for (const d of dirs) d.remove();
};
process.once('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(sig, () => {
    killAll();
    process.kill(process.pid, sig);
  });

/**
 * A real Kubernetes control plane on loopback for the operator's tests, as controller-runtime's
 * envtest runs one: etcd, kube-apiserver (secure port only, its own CA, bearer-token authentication,
 * RBAC, service-account signing keys made here) and kube-controller-manager with the controllers the
 * operator relies on (garbage collector, Deployment → ReplicaSet → Pods, service accounts, PVC
 * protection). Clients reach the API server through a TCP proxy, so a test can cut their connections.
 * The binaries come from scripts/ci/install-kube.sh.
 */
export class ControlPlane {
  readonly dir: TempDir;
  private readonly procs: { name: string; proc: ChildProcess }[] = [];
  private proxy: TcpProxy | undefined;
  private sync: SyncRequester | undefined;
  /** The API server as the harness and kube-controller-manager reach it (no proxy). */
  directUrl = '';
  /** The API server as the operator reaches it (through the proxy). */
  url = '';
  etcdUrl = '';
  caPem = '';
  readonly adminToken = randomBytes(24).toString('hex');
  /** User `glider-operator`, in no group: only what RBAC grants it (a test binds the chart's rules). */
  readonly operatorToken = randomBytes(24).toString('hex');
  /** The emulator's surface for the scenarios: `store.compact()` compacts etcd. */
  readonly store = { compact: (): void => this.compactEtcd() };

  constructor(
    private readonly bins: KubeBinaries,
    private readonly opts: ControlPlaneOptions = {},
  ) {
    this.dir = tempDir('glider-kube-');
    if (!opts.keepDir) dirs.add(this.dir);
  }

  /**
   * `beforeControllers` runs once the API server is ready and before kube-controller-manager starts:
   * what it installs (a CRD) is in the controllers' first discovery, so the garbage collector
   * watches it from the start instead of after its next discovery pass (up to 30 s later; until then
   * it cannot collect the dependents of such objects).
   */
  async start(beforeControllers?: () => Promise<void>): Promise<this> {
    const timeoutMs = this.opts.startTimeoutMs ?? 90_000;
    const d = this.dir.path;
    const now = new Date();
    const ca = await createCa('glider-test kube CA', now, 86_400_000);
    const serving = await issueServerCertificate(ca, ['127.0.0.1', 'localhost', 'kubernetes.default.svc'], now, 86_400_000);
    this.caPem = ca.certPem;
    writeFileSync(join(d, 'ca.crt'), ca.certPem);
    writeFileSync(join(d, 'apiserver.crt'), serving.certPem);
    writeFileSync(join(d, 'apiserver.key'), serving.keyPem);
    const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(d, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(join(d, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));
    const kcmToken = randomBytes(24).toString('hex');
    // Static tokens (kube-apiserver --token-auth-file): the tests and the controller manager act as
    // cluster admins; the operator gets the test's kubeconfig.
    writeFileSync(
      join(d, 'tokens.csv'),
      `${this.adminToken},glider-test,glider-test,"system:masters"\n${kcmToken},system:kube-controller-manager,kcm,"system:masters"\n` +
        `${this.operatorToken},glider-operator,glider-operator\n`,
    );

    const [etcdClient, etcdPeer, apiPort, kcmPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    this.etcdUrl = `http://127.0.0.1:${etcdClient}`;
    this.spawn('etcd', this.bins.etcd, [
      '--name=glider-test',
      `--data-dir=${join(d, 'etcd')}`,
      `--listen-client-urls=${this.etcdUrl}`,
      `--advertise-client-urls=${this.etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=glider-test=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync', // a throw-away store: durability is not what is tested
      '--log-level=warn',
    ]);

    this.directUrl = `https://127.0.0.1:${apiPort}`;
    this.spawn('kube-apiserver', this.bins.kubeApiserver, [
      `--etcd-servers=${this.etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // The `kubernetes` Service's endpoints would be this loopback address, which kube-apiserver
      // refuses to publish: nothing in these tests reaches it through the Service.
      '--endpoint-reconciler-type=none',
      `--secure-port=${apiPort}`,
      `--cert-dir=${d}`,
      `--tls-cert-file=${join(d, 'apiserver.crt')}`,
      `--tls-private-key-file=${join(d, 'apiserver.key')}`,
      `--token-auth-file=${join(d, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--service-account-issuer=https://kubernetes.default.svc',
      `--service-account-key-file=${join(d, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(d, 'sa.key')}`,
      // Addresses handed out to Services only: nothing here routes or sends to them.
      '--service-cluster-ip-range=10.96.0.0/16',
      '--allow-privileged=true',
      '--profiling=false',
      '--v=1',
    ]);
    this.sync = new SyncRequester({ caPem: ca.certPem, token: this.adminToken, timeoutMs: 15_000 });
    await this.sync.ready();
    await this.waitUntil('kube-apiserver /readyz', () => this.syncRequest('GET', '/readyz').code === 200, timeoutMs);

    await beforeControllers?.();
    writeFileSync(join(d, 'kcm.kubeconfig'), this.kubeconfigFor(this.directUrl, kcmToken, 'kube-system'));
    this.spawn('kube-controller-manager', this.bins.kubeControllerManager, [
      `--kubeconfig=${join(d, 'kcm.kubeconfig')}`,
      `--authentication-kubeconfig=${join(d, 'kcm.kubeconfig')}`,
      `--authorization-kubeconfig=${join(d, 'kcm.kubeconfig')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${d}`,
      '--leader-elect=false',
      '--controllers=garbage-collector-controller,deployment-controller,replicaset-controller,serviceaccount-controller,persistentvolumeclaim-protection-controller',
      `--root-ca-file=${join(d, 'ca.crt')}`,
      '--v=1',
    ]);

    this.proxy = new TcpProxy({ host: '127.0.0.1', port: apiPort });
    this.url = `https://127.0.0.1:${await this.proxy.start()}`;
    return this;
  }

  /** A kubeconfig for the operator: through the proxy, verifying the API server's CA; a cluster admin unless `token` says otherwise. */
  kubeconfig(namespace = 'default', token = this.adminToken): string {
    return this.kubeconfigFor(this.url, token, namespace);
  }

  /** Cuts every connection through the proxy: the operator's watches end and must resume. */
  dropWatches(): void {
    this.proxy?.cutAll();
  }

  /** Compacts etcd's history to its current revision (older resourceVersions become 410 Gone). */
  compactEtcd(): void {
    const range = this.syncRequest('POST', `${this.etcdUrl}/v3/kv/range`, JSON.stringify({ key: Buffer.from('/').toString('base64') }));
    const revision = JSON.parse(range.body).header.revision as string;
    const r = this.syncRequest('POST', `${this.etcdUrl}/v3/kv/compaction`, JSON.stringify({ revision, physical: true }));
    if (r.code !== 200) throw new Error(`etcd compaction: ${r.code} ${r.body}`);
  }

  /** A blocking request to the API server (a path) or to a full URL (etcd's gateway). */
  syncRequest(method: string, pathOrUrl: string, body?: string, contentType?: string): { code: number; body: string } {
    const url = pathOrUrl.startsWith('/') ? this.directUrl + pathOrUrl : pathOrUrl;
    return this.sync!.request(method, url, body, contentType);
  }

  /** The last lines a component logged (for a failure message). */
  logTail(name: string, lines = 30): string {
    try {
      return readFileSync(join(this.dir.path, `${name}.log`), 'utf8')
        .split('\n')
        .slice(-lines)
        .join('\n');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    await this.proxy?.close();
    await this.sync?.close();
    for (const { proc } of [...this.procs].reverse()) {
      if (proc.exitCode !== null || proc.signalCode !== null) continue;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      live.delete(proc);
    }
    if (!this.opts.keepDir) this.dir.remove();
    dirs.delete(this.dir);
  }

  private spawn(name: string, bin: string, args: string[]): void {
    const log = createWriteStream(join(this.dir.path, `${name}.log`));
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout.pipe(log);
    proc.stderr.pipe(log);
    live.add(proc);
    this.procs.push({ name, proc });
  }

  private async waitUntil(what: string, probe: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      const dead = this.procs.find((p) => p.proc.exitCode !== null);
      if (dead) throw new Error(`${dead.name} exited (${dead.proc.exitCode}):\n${this.logTail(dead.name)}`);
      try {
        if (probe()) return;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${last}\n${this.logTail('kube-apiserver')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private kubeconfigFor(server: string, token: string, namespace: string): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'glider-test', cluster: { server, 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') } }],
      users: [{ name: 'glider-test', user: { token } }],
      contexts: [{ name: 'glider-test', context: { cluster: 'glider-test', user: 'glider-test', namespace } }],
      'current-context': 'glider-test',
    });
  }
}
