import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Cache, collectionPath } from './informer.js';
import type { Logger } from './logger.js';

export interface SecretRef {
  namespace: string;
  name: string;
}

/**
 * The Secrets the operator reads, without caching every Secret of the cluster (they hold other
 * teams' credentials, and a big cluster has many):
 * - the ones it owns (CA, server certificate, admin token), by a label selector
 *   (`app.kubernetes.io/managed-by=glider-operator`), one watch per watched namespace;
 * - the ones XmppClusters name (nats/mongodb credentials, a `tls.source: secret` or cert-manager
 *   Secret), each by its own field-selected watch (`metadata.name=<name>` in its namespace), started
 *   when a cluster first names it and stopped when none does any more.
 * `track` is awaited before a cluster is reconciled, so a Secret it names is never reported missing
 * only because its watch had not listed yet.
 */
export class SecretIndex {
  private readonly owned: Cache[];
  private readonly named = new Map<string, { cache: Cache; started: Promise<void> }>();
  private readonly byCluster = new Map<string, Set<string>>();

  constructor(
    private readonly kc: KubeConfig,
    namespaces: readonly string[],
    ownedSelector: string,
    private readonly onChange: (secret: KubernetesObject, referencedBy: string[]) => void,
    private readonly log: Logger,
  ) {
    const spaces = namespaces.length > 0 ? namespaces : [undefined];
    this.owned = spaces.map(
      (ns) =>
        new Cache(
          kc,
          { apiVersion: 'v1', kind: 'Secret', path: collectionPath('v1', 'secrets', ns), namespace: ns, labelSelector: ownedSelector },
          (o) => onChange(o, []),
          log,
        ),
    );
  }

  get hasSynced(): boolean {
    return this.owned.every((c) => c.hasSynced);
  }

  /** The Secret keys (`ns/name`) watched by name, for tests and metrics. */
  get namedWatches(): string[] {
    return [...this.named.keys()].sort();
  }

  async start(): Promise<void> {
    await Promise.all(this.owned.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    const all = [...this.owned, ...[...this.named.values()].map((n) => n.cache)];
    this.named.clear();
    this.byCluster.clear();
    await Promise.all(all.map((c) => c.stop().catch(() => undefined)));
  }

  /** Watches what `cluster` (`ns/name`) names from now on (none once it is gone), and waits until each has listed. */
  async track(cluster: string, refs: readonly SecretRef[]): Promise<void> {
    const keys = new Set(refs.map((r) => `${r.namespace}/${r.name}`));
    if (keys.size === 0) this.byCluster.delete(cluster);
    else this.byCluster.set(cluster, keys);
    const wanted = new Set([...this.byCluster.values()].flatMap((s) => [...s]));
    for (const [key, n] of this.named) {
      if (wanted.has(key)) continue;
      this.named.delete(key);
      void n.cache.stop().catch(() => undefined);
    }
    for (const key of keys) {
      if (this.named.has(key)) continue;
      const [namespace, name] = key.split('/') as [string, string];
      const cache = new Cache(
        this.kc,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          path: collectionPath('v1', 'secrets', namespace),
          namespace,
          fieldSelector: `metadata.name=${name}`,
        },
        (o) => this.onChange(o, this.referencing(key)),
        this.log,
      );
      this.named.set(key, { cache, started: cache.start() });
    }
    await Promise.all([...keys].map((k) => this.named.get(k)!.started));
  }

  get(name: string, namespace?: string): KubernetesObject | undefined {
    for (const c of this.owned) {
      const o = c.get(name, namespace);
      if (o) return o;
    }
    return this.named.get(`${namespace}/${name}`)?.cache.get(name, namespace);
  }

  list(namespace?: string): readonly KubernetesObject[] {
    const seen = new Map<string, KubernetesObject>();
    for (const c of [...this.owned, ...[...this.named.values()].map((n) => n.cache)])
      for (const o of c.list(namespace)) seen.set(o.metadata?.uid ?? `${o.metadata?.namespace}/${o.metadata?.name}`, o);
    return [...seen.values()];
  }

  private referencing(key: string): string[] {
    return [...this.byCluster].filter(([, keys]) => keys.has(key)).map(([cluster]) => cluster);
  }
}
