import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { xmppClusterCrd } from '../api/v1alpha1/crd.js';
import type { LoadSourceFactory } from '../autoscaler/load-source.js';
import { Manager, type ManagerOptions } from '../manager.js';
import { createLogger } from '../runtime/logger.js';
import { ApiKubelet } from './control-plane/api-kubelet.js';
import { findKubeBinaries } from './control-plane/binaries.js';
import { ControlPlane } from './control-plane/control-plane.js';
import { ApiServer } from './emulator/api-server.js';
import type { Json } from './emulator/field-set.js';
import { FakeKubelet } from './fake-kubelet.js';

export const NS = 'glider';

/**
 * Which API server the scenarios run against: `kube` (OPERATOR_TEST_API=kube) a real control plane
 * from scripts/ci/install-kube.sh (etcd, kube-apiserver, kube-controller-manager, and ApiKubelet for
 * the node); otherwise the in-process emulator with its fake kubelet. The scenarios are the same.
 */
export const backend: 'kube' | 'emulator' = process.env['OPERATOR_TEST_API'] === 'kube' ? 'kube' : 'emulator';

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

/**
 * A cluster with the XmppCluster CRD installed and namespace `glider`: the emulator with its fake
 * kubelet, or (`backend` kube) a real control plane with ApiKubelet. `get` and `list` read it
 * synchronously either way.
 */
export class TestCluster {
  readonly api: ApiServer | ControlPlane;
  kubelet!: FakeKubelet | ApiKubelet;
  readonly managers: Manager[] = [];

  /** `tls`: the emulator serves HTTPS and the operator verifies its CA, as in production (the real one always does). */
  constructor(opts: { tls?: boolean } = {}) {
    if (backend === 'kube') {
      const bins = findKubeBinaries();
      if (!bins) throw new Error('OPERATOR_TEST_API=kube but no control plane binaries: run scripts/ci/install-kube.sh (or set KUBE_BIN_DIR)');
      this.api = new ControlPlane(bins, { keepDir: process.env['KUBE_TEST_KEEP'] === '1' });
    } else this.api = new ApiServer({ tls: opts.tls });
  }

  async start(): Promise<this> {
    const crd = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    if (this.api instanceof ApiServer) {
      await this.api.start();
      this.kubelet = new FakeKubelet(this.api.store);
      await this.request('POST', crd, xmppClusterCrd());
      await this.request('POST', '/api/v1/namespaces', { metadata: { name: NS } });
      return this;
    }
    const ok = (r: { code: number; body: Json }, what: string) => {
      if (r.code >= 300) throw new Error(`${what}: ${r.code} ${JSON.stringify(r.body)}`);
    };
    // The CRD goes in before kube-controller-manager starts, so its garbage collector knows
    // XmppClusters (and collects their children) from the start.
    await this.api.start(async () => {
      ok(await this.request('POST', '/api/v1/namespaces', { metadata: { name: NS } }), 'namespace');
      ok(await this.request('POST', crd, xmppClusterCrd()), 'CRD');
      await waitFor(
        'the CRD Established',
        () => this.getPath(`${crd}/xmppclusters.glider.im`)?.status?.conditions?.some((c: Json) => c.type === 'Established' && c.status === 'True'),
        30_000,
      );
    });
    // Pods need the namespace's default ServiceAccount, made by kube-controller-manager: once it is
    // there, the controller manager runs.
    await waitFor('kube-controller-manager (default ServiceAccount)', () => this.get('serviceaccounts', 'default'), 60_000);
    const kubelet = new ApiKubelet(this.kubeConfig(), (m, p, b, ct) => this.request(m, p, b as Json, ct), this.log());
    await kubelet.start();
    this.kubelet = kubelet;
    return this;
  }

  private log() {
    return createLogger(process.env['OPERATOR_TEST_LOG'] ?? 'silent');
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
      log: this.log(),
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
    const real = this.api instanceof ControlPlane ? this.api : undefined;
    const url = new URL((real?.directUrl ?? this.api.url) + path);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { 'content-type': contentType, ...(real ? { authorization: `Bearer ${real.adminToken}` } : {}) };
    // Node sends a DELETE's body without Content-Length (no chunking for DELETE): the server would
    // read it as the next request on the connection.
    if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, ca: this.api.caPem, timeout: 10_000 }, (res) => {
        let text = '';
        res.on('data', (d) => (text += String(d)));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: parseBody(text) }));
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** The object now (a GET on the real API server, a store read on the emulator); undefined if absent. */
  get(resource: string, name: string, group = ''): Json | undefined {
    const [g, v] = group ? group.split('/') : ['', 'v1'];
    if (this.api instanceof ApiServer) return this.api.store.tryGet(this.api.store.type(g!, v!, resource), NS, name);
    return this.getPath(`${collection(group, resource)}/${name}`);
  }

  list(resource: string, group = ''): Json[] {
    const [g, v] = group ? group.split('/') : ['', 'v1'];
    if (this.api instanceof ApiServer) return this.api.store.list(this.api.store.type(g!, v!, resource), NS);
    const r = this.api.syncRequest('GET', collection(group, resource));
    if (r.code !== 200) throw new Error(`list ${resource}: ${r.code} ${r.body}`);
    return JSON.parse(r.body).items;
  }

  private getPath(path: string): Json | undefined {
    const r = (this.api as ControlPlane).syncRequest('GET', path);
    if (r.code === 404) return undefined;
    if (r.code !== 200) throw new Error(`GET ${path}: ${r.code} ${r.body}`);
    return JSON.parse(r.body);
  }

  cluster(name: string): Json | undefined {
    return this.get('xmppclusters', name, 'glider.im/v1alpha1');
  }

  async stop(): Promise<void> {
    await Promise.all(this.managers.map((m) => m.stop().catch(() => undefined)));
    await this.kubelet?.stop();
    if (this.api instanceof ApiServer) await this.api.close();
    else await this.api.stop();
  }
}

const collection = (group: string, resource: string) => `${group ? `/apis/${group}` : '/api/v1'}/namespaces/${NS}/${resource}`;

export const clustersPath = `/apis/glider.im/v1alpha1/namespaces/${NS}/xmppclusters`;

export function sampleCluster(name: string, spec: Json = {}): Json {
  return {
    apiVersion: 'glider.im/v1alpha1',
    kind: 'XmppCluster',
    metadata: { name },
    spec: { domains: ['example.com'], nats: { url: 'nats://nats:4222' }, mongodb: { url: 'mongodb://mongo:27017' }, ...spec },
  };
}

/** JSON, or the text itself (kube-apiserver answers a path it does not serve with `404 page not found`). */
function parseBody(text: string): Json {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
