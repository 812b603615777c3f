import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Cache } from '../../runtime/informer.js';
import type { Logger } from '../../runtime/logger.js';

type Pod = KubernetesObject & {
  spec?: { nodeName?: string; containers: { name: string; image?: string }[] };
  status?: { phase?: string };
};

/**
 * The one part of a node a control plane without nodes lacks, played over the API as kwok does: a
 * Node object that stays Ready, and for every Pod of the cluster what a kubelet would do once its
 * containers run — bind it to the node (there is no scheduler), report it Running and Ready, and
 * finish a graceful deletion at once (the containers "exit" on SIGTERM). Everything else — the
 * ReplicaSets, which Pods they remove (pod-deletion-cost), Deployment status, garbage collection —
 * is kube-controller-manager's.
 */
export class ApiKubelet {
  static readonly NODE = 'glider-test-node';
  private readonly pods: Cache<Pod>;
  private readonly busy = new Set<string>();
  private readonly again = new Set<string>();

  /** `request`: a call to the API server with the test's credentials. */
  constructor(
    kc: KubeConfig,
    private readonly request: (method: string, path: string, body: unknown, contentType?: string) => Promise<{ code: number; body: unknown }>,
    private readonly log: Logger,
  ) {
    this.pods = new Cache<Pod>(kc, { apiVersion: 'v1', kind: 'Pod', path: '/api/v1/pods' }, (p) => void this.sync(p), log);
  }

  async start(): Promise<void> {
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: ApiKubelet.NODE, labels: { 'kubernetes.io/hostname': ApiKubelet.NODE, 'kubernetes.io/os': 'linux' } },
    };
    await this.raw('POST', '/api/v1/nodes', node);
    const resources = { cpu: '64', memory: '256Gi', pods: '1000' };
    const status = { capacity: resources, allocatable: resources, conditions: [this.condition('Ready', 'KubeletReady')] };
    await this.raw('PATCH', `/api/v1/nodes/${ApiKubelet.NODE}/status`, { status }, 'application/merge-patch+json');
    await this.pods.start();
  }

  async stop(): Promise<void> {
    await this.pods.stop();
  }

  private condition(type: string, reason?: string) {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return { type, status: 'True', lastTransitionTime: now, lastHeartbeatTime: now, ...(reason ? { reason } : {}) };
  }

  private async sync(pod: Pod): Promise<void> {
    const { name, namespace, uid } = pod.metadata!;
    const key = `${namespace}/${name}/${uid}`;
    if (this.busy.has(key)) {
      this.again.add(key); // looked at again with the newest copy once the current step is done
      return;
    }
    this.busy.add(key);
    try {
      const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
      if (pod.metadata!.deletionTimestamp) {
        if (pod.spec?.nodeName) await this.raw('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid } });
      } else if (!pod.spec?.nodeName) {
        await this.raw('POST', `${path}/binding`, {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace },
          target: { apiVersion: 'v1', kind: 'Node', name: ApiKubelet.NODE },
        });
      } else if (pod.status?.phase !== 'Running') {
        const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now }));
        const containerStatuses = pod.spec.containers.map((c) => ({
          name: c.name,
          image: c.image ?? '',
          imageID: '',
          ready: true,
          started: true,
          restartCount: 0,
          state: { running: { startedAt: now } },
        }));
        await this.raw(
          'PATCH',
          `${path}/status`,
          { status: { phase: 'Running', startTime: now, conditions, containerStatuses } },
          'application/merge-patch+json',
        );
      }
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404 && code !== 409) this.log.warn({ pod: key, err: (err as Error).message }, 'test kubelet: pod not synced');
    } finally {
      this.busy.delete(key);
      if (this.again.delete(key)) {
        const latest = this.pods.get(name!, namespace);
        if (latest && latest.metadata?.uid === uid) void this.sync(latest);
      }
    }
  }

  private async raw(method: string, path: string, body: unknown, contentType = 'application/json'): Promise<void> {
    const { code, body: answer } = await this.request(method, path, body, contentType);
    if (code >= 400) throw Object.assign(new Error(`${method} ${path}: ${code} ${JSON.stringify(answer).slice(0, 300)}`), { code });
  }
}
