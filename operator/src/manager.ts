import { CustomObjectsApi, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import type { Meter } from '@opentelemetry/api';
import { API_VERSION, PLURAL } from './api/v1alpha1/crd.js';
import type { XmppCluster } from './api/v1alpha1/types.js';
import { Autoscaler } from './autoscaler/autoscaler.js';
import { LoadRegistry } from './autoscaler/load-registry.js';
import type { LoadSourceFactory } from './autoscaler/load-source.js';
import type { ControllerContext, Reader } from './controllers/xmppcluster/context.js';
import { CLUSTER_LABEL, MANAGED_BY } from './controllers/xmppcluster/names.js';
import { reconcile } from './controllers/xmppcluster/reconciler.js';
import { signOnSecretRefs } from './controllers/xmppcluster/desired/sign-on-config.js';
import { Cache, collectionPath } from './runtime/informer.js';
import { SecretIndex, type SecretRef } from './runtime/secret-index.js';
import { LeaderElector } from './runtime/leader-election.js';
import type { Logger } from './runtime/logger.js';
import { countApiError, reconcileTimers, registerOperatorMetrics, workQueueMetrics, type OperatorReadings } from './runtime/operator-metrics.js';
import { WorkQueue } from './runtime/work-queue.js';

export interface ManagerOptions {
  kubeConfig: KubeConfig;
  /** Namespace to watch; empty for all namespaces (unless `watchNamespaces` names some). */
  watchNamespace: string;
  /** Namespaces to watch (XmppClusters, their children and Secrets); empty or absent: `watchNamespace`. */
  watchNamespaces?: readonly string[];
  /** Where the leader Lease lives (the operator's own namespace). */
  leaseNamespace: string;
  identity: string;
  image: { repository: string; tag: string };
  loadSourceFactory: LoadSourceFactory;
  log: Logger;
  workers?: number;
  resyncMs?: number;
  leaseDurationSeconds?: number;
  renewPeriodMs?: number;
  retryPeriodMs?: number;
  drainPollMs?: number;
  drainGraceMs?: number;
  loadStaleMs?: number;
  backoffBaseMs?: number;
  now?: () => Date;
  /** Where glider_operator_* are recorded; the process's OpenTelemetry meter when absent. */
  meter?: Meter;
}

/**
 * The operator process: informer caches (started at once, so a standby is warm), and, while this
 * replica holds the Lease, a work queue drained by workers that run the reconciler, a periodic
 * resync, and exponential back-off on failures. `stop()` is the graceful shutdown.
 */
export class Manager {
  private readonly caches: Cache[] = [];
  private readonly secrets: SecretIndex;
  private readonly ctx: ControllerContext;
  private readonly elector: LeaderElector;
  private queue: WorkQueue | undefined;
  private workers: Promise<void>[] = [];
  private resync: NodeJS.Timeout | undefined;
  private readonly clusters: Reader<XmppCluster & KubernetesObject>;
  private readonly counts = { ok: 0, error: 0 };
  private unregisterMetrics: (() => void) | undefined;

  constructor(private readonly opts: ManagerOptions) {
    const kc = opts.kubeConfig;
    const namespaces = opts.watchNamespaces?.length ? [...new Set(opts.watchNamespaces)] : opts.watchNamespace ? [opts.watchNamespace] : [];
    const log = opts.log;
    const enqueue = (key: string | undefined) => key && this.queue?.add(key);
    const byOwner = (o: KubernetesObject) => {
      const owner = o.metadata?.ownerReferences?.find((r) => r.kind === 'XmppCluster' && r.apiVersion === API_VERSION);
      return owner
        ? `${o.metadata!.namespace}/${owner.name}`
        : o.metadata?.labels?.[CLUSTER_LABEL]
          ? `${o.metadata.namespace}/${o.metadata.labels[CLUSTER_LABEL]}`
          : undefined;
    };
    // One watch per watched namespace (or one for all), read as one cache.
    const cache = <T extends KubernetesObject>(apiVersion: string, kind: string, plural: string, onChange: (o: T) => void, labelSelector?: string) => {
      const per = (namespaces.length > 0 ? namespaces : [undefined]).map((ns) => {
        const c = new Cache<T>(kc, { apiVersion, kind, path: collectionPath(apiVersion, plural, ns), namespace: ns, labelSelector }, onChange, log);
        this.caches.push(c);
        return c;
      });
      return per.length === 1 ? per[0]! : readAll(per);
    };
    const managed = `app.kubernetes.io/managed-by=${MANAGED_BY}`;
    this.secrets = new SecretIndex(
      kc,
      namespaces,
      managed,
      (o, referencedBy) => (referencedBy.length > 0 ? referencedBy.forEach(enqueue) : enqueue(byOwner(o))),
      log,
    );
    this.clusters = cache<XmppCluster & KubernetesObject>(API_VERSION, 'XmppCluster', PLURAL, (o) => enqueue(`${o.metadata.namespace}/${o.metadata.name}`));
    const owned = (apiVersion: string, kind: string, plural: string) => cache(apiVersion, kind, plural, (o) => enqueue(byOwner(o)), managed);
    this.ctx = {
      api: KubernetesObjectApi.makeApiClient(kc),
      custom: kc.makeApiClient(CustomObjectsApi),
      caches: {
        clusters: this.clusters,
        deployments: owned('apps/v1', 'Deployment', 'deployments'),
        pods: owned('v1', 'Pod', 'pods'),
        services: owned('v1', 'Service', 'services'),
        configMaps: owned('v1', 'ConfigMap', 'configmaps'),
        pdbs: owned('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
        serviceAccounts: owned('v1', 'ServiceAccount', 'serviceaccounts'),
        secrets: this.secrets,
      },
      loads: new LoadRegistry(opts.loadSourceFactory, opts.loadStaleMs ?? 30_000, (busKey) => {
        for (const x of this.clusters.list())
          if (busKey === x.spec.nats.url || busKey.startsWith(`${x.spec.nats.url}#`)) this.queue?.addAfter(`${x.metadata.namespace}/${x.metadata.name}`, 500);
      }),
      autoscaler: new Autoscaler(),
      log,
      now: opts.now ?? (() => new Date()),
      image: opts.image,
      drainPollMs: opts.drainPollMs ?? 2000,
      drainGraceMs: opts.drainGraceMs ?? 15_000,
    };
    this.elector = new LeaderElector(
      kc,
      {
        namespace: opts.leaseNamespace,
        name: 'glider-operator',
        identity: opts.identity,
        leaseDurationSeconds: opts.leaseDurationSeconds ?? 15,
        renewPeriodMs: opts.renewPeriodMs ?? 5000,
        retryPeriodMs: opts.retryPeriodMs ?? 2000,
      },
      { onStartedLeading: () => this.lead(), onStoppedLeading: () => void this.standDown() },
      log,
    );
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** Reconciles by result, queue depth, leadership, clusters watched: what glider_operator_* report. */
  readings(): OperatorReadings {
    const clusters = this.clusters.list();
    return {
      reconciles: { ...this.counts },
      queueDepth: this.queue?.length ?? 0,
      leader: this.isLeader,
      clusters: clusters.length,
      certificates: clusters.map((x) => {
        const c = x.status?.certificate;
        const ms = (iso: string | undefined) => (iso === undefined || Number.isNaN(Date.parse(iso)) ? undefined : Date.parse(iso));
        return { namespace: x.metadata.namespace ?? '', name: x.metadata.name ?? '', notAfterMs: ms(c?.notAfter), caNotAfterMs: ms(c?.caNotAfter) };
      }),
    };
  }

  /** Every cache has listed once (the replica can lead at once). */
  get hasSynced(): boolean {
    return this.caches.every((c) => c.hasSynced) && this.secrets.hasSynced;
  }

  /** The Secrets watched one by one because an XmppCluster names them (`ns/name`). */
  get namedSecretWatches(): string[] {
    return this.secrets.namedWatches;
  }

  async start(): Promise<void> {
    this.unregisterMetrics ??= registerOperatorMetrics(() => this.readings(), this.opts.meter);
    await Promise.all([...this.caches.map((c) => c.start()), this.secrets.start()]);
    this.elector.start();
  }

  /** Graceful shutdown: release the Lease, finish in-flight reconciles, stop watches and NATS. */
  async stop(): Promise<void> {
    this.unregisterMetrics?.();
    this.unregisterMetrics = undefined;
    await this.elector.stop(true);
    await this.standDown();
    await Promise.all([...this.caches.map((c) => c.stop().catch(() => undefined)), this.secrets.stop()]);
    await this.ctx.loads.stop();
  }

  /** Simulates a crash or partition for tests: stops renewing without releasing the Lease. */
  async abandon(): Promise<void> {
    this.unregisterMetrics?.();
    this.unregisterMetrics = undefined;
    await this.elector.stop(false);
    await this.standDown();
    await Promise.all([...this.caches.map((c) => c.stop().catch(() => undefined)), this.secrets.stop()]);
    await this.ctx.loads.stop();
  }

  private lead(): void {
    const queue = new WorkQueue({ baseDelayMs: this.opts.backoffBaseMs ?? 200, maxDelayMs: 60_000, metrics: workQueueMetrics });
    this.queue = queue;
    for (const x of this.clusters.list()) queue.add(`${x.metadata.namespace}/${x.metadata.name}`);
    this.workers = Array.from({ length: this.opts.workers ?? 2 }, () => this.work(queue));
    this.resync = setInterval(() => {
      for (const x of this.clusters.list()) queue.add(`${x.metadata.namespace}/${x.metadata.name}`);
    }, this.opts.resyncMs ?? 300_000);
  }

  private async standDown(): Promise<void> {
    clearInterval(this.resync);
    this.queue?.shutdown();
    this.queue = undefined;
    await Promise.all(this.workers);
    this.workers = [];
  }

  private async work(queue: WorkQueue): Promise<void> {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      const started = performance.now();
      try {
        const [ns, name] = key.split('/') as [string, string];
        const x = this.clusters.get(name, ns);
        await this.secrets.track(key, x ? namedSecrets(x) : []);
        const result = await reconcile(this.ctx, key);
        reconcileTimers.ok.since(started);
        this.counts.ok++;
        queue.forget(key);
        if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs);
      } catch (err) {
        reconcileTimers.error.since(started);
        const e = err as { code?: number; body?: unknown; message?: string };
        if (e.code === 404 && !this.clusters.get(key.split('/')[1]!, key.split('/')[0])) {
          queue.forget(key);
          continue;
        }
        if (e.code !== undefined) countApiError('reconcile', e.code);
        this.counts.error++;
        const delay = queue.addRateLimited(key);
        const level = e.code === 409 ? 'debug' : 'warn';
        this.opts.log[level]({ key, code: e.code, err: e.message?.slice(0, 500), retryInMs: delay }, 'reconcile failed');
      } finally {
        queue.done(key);
      }
    }
  }
}

/** The Secrets an XmppCluster names that the operator does not make: watched by name (SecretIndex). */
export function namedSecrets(x: XmppCluster & KubernetesObject): SecretRef[] {
  const namespace = x.metadata.namespace!;
  const names = [x.spec.nats.credentialsSecretRef?.name, x.spec.mongodb.urlSecretRef?.name, x.spec.mongodb.credentialsSecretRef?.name];
  // the directory's bind password and CA (a cluster waiting for them goes on once they exist)
  names.push(...signOnSecretRefs(x).map(({ ref }) => ref.name));
  // tls.source secret: the user's Secret; certManager: the Secret cert-manager fills. Only the
  // operator's own CA and certificate (source operator) carry its label.
  if (x.spec.tls.source === 'secret') names.push(x.spec.tls.secretName);
  if (x.spec.tls.source === 'certManager') names.push(`${x.metadata.name}-tls`);
  return [...new Set(names.filter((n): n is string => !!n))].map((name) => ({ namespace, name }));
}

/** Several namespaces' caches of one type read as one. */
function readAll<T extends KubernetesObject>(caches: Cache<T>[]): Reader<T> {
  return {
    list: (namespace?: string) => caches.flatMap((c) => c.list(namespace)),
    get: (name: string, namespace?: string) => caches.map((c) => c.get(name, namespace)).find((o) => o !== undefined),
  };
}
