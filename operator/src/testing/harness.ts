import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { xmppClusterCrd } from '../api/v1alpha1/crd.js';
import type { LoadSourceFactory } from '../autoscaler/load-source.js';
import { Manager, type ManagerOptions } from '../manager.js';
import { createLogger } from '../runtime/logger.js';
import { ApiServer } from './emulator/api-server.js';
import type { Json } from './emulator/field-set.js';
import { FakeKubelet } from './fake-kubelet.js';

export const NS = 'glider';

/** Polls `probe` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String((last as Error).message ?? last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}

/** An emulated cluster (API server + fake kubelet) with the XmppCluster CRD installed. */
export class TestCluster {
  readonly api: ApiServer;

  /** `tls`: the emulator serves HTTPS and the operator verifies its CA, as in production. */
  constructor(opts: { tls?: boolean } = {}) {
    this.api = new ApiServer({ tls: opts.tls });
  }
  kubelet!: FakeKubelet;
  readonly managers: Manager[] = [];

  async start(): Promise<this> {
    await this.api.start();
    this.kubelet = new FakeKubelet(this.api.store);
    await this.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', xmppClusterCrd());
    await this.request('POST', '/api/v1/namespaces', { metadata: { name: NS } });
    return this;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.api.kubeconfig(NS));
    return kc;
  }

  async startManager(factory: LoadSourceFactory, overrides: Partial<ManagerOptions> = {}): Promise<Manager> {
    const m = new Manager({
      kubeConfig: this.kubeConfig(),
      watchNamespace: NS,
      leaseNamespace: NS,
      identity: `operator-${this.managers.length}`,
      image: { repository: 'glider', tag: 'test' },
      loadSourceFactory: factory,
      log: createLogger(process.env['OPERATOR_TEST_LOG'] ?? 'silent'),
      leaseDurationSeconds: 2,
      renewPeriodMs: 300,
      retryPeriodMs: 200,
      drainPollMs: 100,
      backoffBaseMs: 50,
      resyncMs: 5_000,
      ...overrides,
    });
    this.managers.push(m);
    await m.start();
    return m;
  }

  /** A raw HTTP call, as kubectl would make it; returns status code and parsed body. */
  async request(method: string, path: string, body?: Json, contentType = 'application/json'): Promise<{ code: number; body: Json }> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const url = new URL(this.api.url + path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers: { 'content-type': contentType }, ca: this.api.caPem, timeout: 5000 }, (res) => {
        let text = '';
        res.on('data', (d) => (text += String(d)));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get(resource: string, name: string, group = ''): Json | undefined {
    const [g, v] = group ? group.split('/') : ['', 'v1'];
    return this.api.store.tryGet(this.api.store.type(g!, v!, resource), NS, name);
  }

  list(resource: string, group = ''): Json[] {
    const [g, v] = group ? group.split('/') : ['', 'v1'];
    return this.api.store.list(this.api.store.type(g!, v!, resource), NS);
  }

  cluster(name: string): Json | undefined {
    return this.get('xmppclusters', name, 'glider.im/v1alpha1');
  }

  async stop(): Promise<void> {
    await Promise.all(this.managers.map((m) => m.stop().catch(() => undefined)));
    this.kubelet?.stop();
    await this.api.close();
  }
}

export const clustersPath = `/apis/glider.im/v1alpha1/namespaces/${NS}/xmppclusters`;

export function sampleCluster(name: string, spec: Json = {}): Json {
  return {
    apiVersion: 'glider.im/v1alpha1',
    kind: 'XmppCluster',
    metadata: { name },
    spec: { domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://mongo:27017' }, ...spec },
  };
}
