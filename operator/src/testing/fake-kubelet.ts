import { createHash } from 'node:crypto';
import type { Json } from './emulator/field-set.js';
import type { Store } from './emulator/store.js';

/**
 * The part of a cluster the emulator does not have: the deployment controller and kubelets. For
 * every Deployment it keeps `replicas` Running, ready Pods of the current template (removing those
 * with the lowest pod-deletion-cost first, as the ReplicaSet controller does) and writes the
 * Deployment's status. Test-only; it works on the store directly, as controllers inside the
 * API server's cluster would.
 */
export class FakeKubelet {
  private scheduled = false;
  private readonly onEvent = (e: { key: string }): void => {
    if (e.key === 'apps/v1/deployments' || e.key === '/v1/pods') this.schedule();
  };

  constructor(private readonly store: Store) {
    store.events.on('event', this.onEvent);
  }

  stop(): void {
    this.store.events.off('event', this.onEvent);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.sync();
      } catch {
        /* a concurrent write; the next event retries */
      }
    });
  }

  private sync(): void {
    const deployments = this.store.type('apps', 'v1', 'deployments');
    const podsType = this.store.type('', 'v1', 'pods');
    for (const d of this.store.list(deployments, undefined)) {
      const ns = d.metadata.namespace;
      const sel: Record<string, string> = d.spec.selector.matchLabels;
      const hash = createHash('sha256').update(JSON.stringify(d.spec.template)).digest('hex').slice(0, 10);
      let pods: Json[] = this.store
        .list(podsType, ns)
        .filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v) && !p.metadata.deletionTimestamp);
      for (const p of pods.filter((p) => p.metadata.labels['pod-template-hash'] !== hash)) this.store.delete(podsType, ns, p.metadata.name);
      pods = pods.filter((p) => p.metadata.labels['pod-template-hash'] === hash);
      const want: number = d.spec.replicas ?? 1;
      const cost = (p: Json) => Number(p.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'] ?? 0);
      pods.sort((a, b) => cost(a) - cost(b) || String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)));
      while (pods.length > want) this.store.delete(podsType, ns, pods.shift().metadata.name);
      while (pods.length < want) {
        const pod = this.store.create(
          podsType,
          ns,
          {
            metadata: {
              generateName: `${d.metadata.name}-${hash.slice(0, 5)}-`,
              labels: { ...d.spec.template.metadata.labels, 'pod-template-hash': hash },
              annotations: { ...d.spec.template.metadata.annotations },
              ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name, uid: d.metadata.uid, controller: true }],
            },
            spec: d.spec.template.spec,
          },
          { manager: 'kubelet' },
        );
        this.store.update(
          podsType,
          ns,
          pod.metadata.name,
          { ...pod, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
          { subresource: 'status', manager: 'kubelet' },
        );
        pods.push(pod);
      }
      const status = { observedGeneration: d.metadata.generation, replicas: want, readyReplicas: want, updatedReplicas: want, availableReplicas: want };
      this.store.update(deployments, ns, d.metadata.name, { ...d, status }, { subresource: 'status', manager: 'kube-controller-manager' });
    }
  }
}
