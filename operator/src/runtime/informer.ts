import { KubeConfig, KubernetesObjectApi, ListWatch, Watch, type Informer, type KubernetesObject, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from './logger.js';
import { countApiError } from './operator-metrics.js';

export interface InformerSpec {
  apiVersion: string;
  kind: string;
  /** API path of the collection, e.g. /apis/apps/v1/namespaces/glider/deployments. */
  path: string;
  namespace?: string;
  labelSelector?: string;
  /** e.g. `metadata.name=x`: one object by name, without list/watch of the rest. */
  fieldSelector?: string;
}

/**
 * A list-watch cache of one resource type. The client's informer resumes from its last
 * resourceVersion and relists on 410 Gone; on other errors it stops, so this restarts it with
 * back-off. Every change calls `onChange` with the object; handlers enqueue keys and nothing else.
 */
export class Cache<T extends KubernetesObject = KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private stopped = false;
  private restartDelay = 200;
  private synced = false;

  constructor(
    kc: KubeConfig,
    readonly spec: InformerSpec,
    onChange: (obj: T) => void,
    private readonly log: Logger,
  ) {
    const api = KubernetesObjectApi.makeApiClient(kc);
    const list = async () => {
      const l = await api.list<T>(spec.apiVersion, spec.kind, spec.namespace, undefined, undefined, undefined, spec.fieldSelector, spec.labelSelector);
      return l as never;
    };
    this.informer = new ListWatch<T>(spec.path, new Watch(kc), list, false, spec.labelSelector, spec.fieldSelector);
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, (o) => onChange(o));
    this.informer.on('connect', () => {
      this.restartDelay = 200;
    });
    this.informer.on('error', (err: unknown) => {
      if (this.stopped) return;
      const e = err as { code?: number; statusCode?: number } | undefined;
      countApiError('watch', e?.code ?? e?.statusCode);
      this.log.warn({ kind: spec.kind, err: String((err as Error | undefined)?.message ?? err) }, 'watch failed; restarting');
      setTimeout(() => {
        if (!this.stopped) void this.informer.start().catch(() => undefined);
      }, this.restartDelay).unref();
      this.restartDelay = Math.min(this.restartDelay * 2, 30_000);
    });
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.synced = true;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }
}

/** The collection path of a resource type in one namespace, or in all when `namespace` is empty. */
export function collectionPath(apiVersion: string, plural: string, namespace?: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}
