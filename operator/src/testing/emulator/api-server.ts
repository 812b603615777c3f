import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { createCa, issueServerCertificate } from '../../tls/pki.js';
import { ApiError } from './errors.js';
import type { Json } from './field-set.js';
import { jsonPatch, mergePatch } from './patch.js';
import { apiVersionOf, type ResourceType } from './resource-types.js';
import { parseFieldSelector, parseSelector } from './selectors.js';
import { serverSideApply } from './server-side-apply.js';
import { Store, type WatchEvent } from './store.js';

interface Target {
  type: ResourceType;
  ns?: string;
  name?: string;
  sub?: string;
}

/**
 * A Kubernetes API server stand-in over real HTTP on loopback: discovery, CRUD, list and watch
 * (with resume and 410 Gone), merge/JSON/apply patches and the status subresource. Enough for an
 * unchanged @kubernetes/client-node client, informers included.
 */
export class ApiServer {
  readonly store: Store;
  private server: Server | undefined;
  private readonly watches = new Set<ServerResponse>();
  url = '';
  /** With `tls`, the CA that signed the server certificate (for the kubeconfig and test clients). */
  caPem: string | undefined;

  constructor(private readonly opts: { historyLimit?: number; tls?: boolean } = {}) {
    this.store = new Store(opts.historyLimit);
  }

  /** Listens on a free loopback port: HTTPS with a fresh CA when `tls`, else plain HTTP. */
  async start(): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    if (this.opts.tls) {
      const now = new Date();
      const ca = await createCa('api-server-emulator CA', now, 86_400_000);
      const cert = await issueServerCertificate(ca, ['127.0.0.1', 'localhost'], now, 86_400_000);
      this.caPem = ca.certPem;
      this.server = createTlsServer({ cert: cert.certPem, key: cert.keyPem }, handler);
    } else this.server = createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Ends every open watch (clients resume from their last resourceVersion). */
  dropWatches(): void {
    for (const w of this.watches) w.end();
    this.watches.clear();
  }

  async close(): Promise<void> {
    this.dropWatches();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  kubeconfig(namespace = 'default'): string {
    return JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      // Over TLS the client verifies the emulator's CA, as against a real API server; plain HTTP on
      // loopback it allows only with insecure-skip-tls-verify.
      clusters: [
        {
          name: 'emulator',
          cluster: this.caPem
            ? { server: this.url, 'certificate-authority-data': Buffer.from(this.caPem).toString('base64') }
            : { server: this.url, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'operator', user: { token: 'emulator' } }],
      contexts: [{ name: 'emulator', context: { cluster: 'emulator', user: 'operator', namespace } }],
      'current-context': 'emulator',
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    try {
      const body = await readBody(req);
      const out = this.route(req.method ?? 'GET', url, req.headers['content-type'] ?? '', body, res);
      if (out !== undefined) send(res, req.method === 'POST' ? 201 : 200, out);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'InternalError', String((e as Error)?.stack ?? e));
      send(res, err.code, err.toStatus());
    }
  }

  private route(method: string, url: URL, contentType: string, body: string, res: ServerResponse): Json | undefined {
    const segs = url.pathname.split('/').filter(Boolean);
    if (method === 'GET' && url.pathname === '/api') return { kind: 'APIVersions', versions: ['v1'] };
    if (method === 'GET' && url.pathname === '/apis') return this.groups();
    if (method === 'GET' && ((segs[0] === 'api' && segs.length === 2) || (segs[0] === 'apis' && segs.length === 3))) {
      return this.resources(segs[0] === 'api' ? '' : segs[1]!, segs[segs.length - 1]!);
    }
    const target = this.target(segs);
    const q = url.searchParams;
    const manager = q.get('fieldManager') ?? undefined;
    const strict = q.get('fieldValidation') === 'Strict';
    const { type: t, ns, name, sub } = target;
    switch (method) {
      case 'GET':
        if (name) return this.store.get(t, ns, name);
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(t, ns, q, res);
        return {
          kind: `${t.kind}List`,
          apiVersion: apiVersionOf(t),
          metadata: { resourceVersion: String(this.store.currentRv()) },
          // As kube-apiserver: the items of a built-in type's list carry no apiVersion/kind (the
          // list does); custom resources' items keep theirs.
          items: this.store
            .list(t, ns, q.get('labelSelector'))
            .filter(parseFieldSelector(q.get('fieldSelector')))
            .map((o) => (t.schema ? o : withoutTypeMeta(o))),
        };
      case 'POST':
        return this.store.create(t, ns, parse(body), { manager, strict });
      case 'PUT':
        return this.store.update(t, ns, need(name), parse(body), { manager, subresource: sub, strict });
      case 'PATCH':
        return this.patch(target, contentType.split(';')[0]!.trim(), body, q, manager, strict, res);
      case 'DELETE': {
        const opts = body ? parse(body) : {};
        this.store.delete(t, ns, need(name), opts.preconditions);
        return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: t.resource } };
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `method ${method} not allowed`);
    }
  }

  private patch(
    target: Target,
    contentType: string,
    body: string,
    q: URLSearchParams,
    manager: string | undefined,
    strict: boolean,
    res: ServerResponse,
  ): Json {
    const { type: t, ns, sub } = target;
    const name = need(target.name);
    if (contentType === 'application/apply-patch+yaml') {
      if (!manager) throw new ApiError(400, 'BadRequest', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
      const applied = parseYaml(body);
      if (applied?.metadata?.name !== name) throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
      const live = this.store.tryGet(t, ns, name);
      const force = q.get('force') === 'true';
      const result = serverSideApply(live, applied, manager, force, sub);
      if (!live) return void send(res, 201, this.store.create(t, ns, result, { manager, skipManaged: true, strict, subresource: sub }));
      result.metadata.resourceVersion = applied.metadata?.resourceVersion ?? live.metadata.resourceVersion;
      return this.store.update(t, ns, name, result, { manager, subresource: sub, skipManaged: true, strict });
    }
    const live = this.store.get(t, ns, name);
    const patch = parse(body);
    let next: Json;
    if (contentType === 'application/json-patch+json') next = jsonPatch(live, patch);
    else if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') next = mergePatch(live, patch);
    else
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
      );
    return this.store.update(t, ns, name, next, { manager, subresource: sub, strict });
  }

  private watch(t: ResourceType, ns: string | undefined, q: URLSearchParams, res: ServerResponse): undefined {
    const match = parseSelector(q.get('labelSelector'));
    const fieldMatch = parseFieldSelector(q.get('fieldSelector'));
    const rvParam = q.get('resourceVersion');
    const fits = (e: WatchEvent): boolean =>
      e.key === `${t.group}/${t.version}/${t.resource}` &&
      (ns === undefined || e.object.metadata.namespace === ns) &&
      match(e.object.metadata.labels) &&
      fieldMatch(e.object);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const write = (type: string, object: Json): void => {
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ type, object }) + '\n');
    };
    let from: number;
    if (!rvParam || rvParam === '0') {
      for (const o of this.store.list(t, ns, q.get('labelSelector')).filter(fieldMatch)) write('ADDED', o);
      from = this.store.currentRv();
    } else {
      from = Number(rvParam);
      if (!this.store.canResumeFrom(from)) {
        write('ERROR', {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Expired',
          code: 410,
          message: `too old resource version: ${from} (${this.store.currentRv()})`,
        });
        res.end();
        return undefined;
      }
      for (const e of this.store.eventsSince(from)) if (fits(e)) write(e.type, e.object);
    }
    const listener = (e: WatchEvent): void => {
      if (e.rv > from && fits(e)) write(e.type, e.object);
    };
    this.store.events.on('event', listener);
    this.watches.add(res);
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('finish', () => this.store.events.off('event', listener));
    res.on('close', () => {
      clearTimeout(timer);
      this.store.events.off('event', listener);
      this.watches.delete(res);
    });
    return undefined;
  }

  private target(segs: string[]): Target {
    let group = '';
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') [version, rest] = [segs[1]!, segs.slice(2)];
    else if (segs[0] === 'apis') [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
    else throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) [ns, rest] = [rest[1], rest.slice(2)];
    const type = this.store.type(group, version, rest[0]!);
    return { type, ns: type.namespaced ? ns : undefined, name: rest[1], sub: rest[2] };
  }

  private groups(): Json {
    const byGroup = new Map<string, Set<string>>();
    for (const t of this.store.allTypes()) if (t.group) (byGroup.get(t.group) ?? byGroup.set(t.group, new Set()).get(t.group)!).add(t.version);
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...byGroup].map(([name, versions]) => {
        const vs = [...versions].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
        return { name, versions: vs, preferredVersion: vs[0] };
      }),
    };
  }

  private resources(group: string, version: string): Json {
    const types = this.store.allTypes().filter((t) => t.group === group && t.version === version);
    if (types.length === 0) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group ? `${group}/${version}` : version,
      resources: types.flatMap((t) => [
        { name: t.resource, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs, shortNames: t.shortNames },
        ...(t.status ? [{ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }] : []),
      ]),
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parse(body: string): Json {
  try {
    return JSON.parse(body);
  } catch {
    throw new ApiError(400, 'BadRequest', 'the body of the request could not be decoded as JSON');
  }
}

function need(name: string | undefined): string {
  if (!name) throw new ApiError(405, 'MethodNotAllowed', 'a resource name is required');
  return name;
}

function send(res: ServerResponse, code: number, body: Json): void {
  if (res.headersSent) return void res.end();
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function withoutTypeMeta(o: Json): Json {
  const copy = { ...o };
  delete copy.apiVersion;
  delete copy.kind;
  return copy;
}
