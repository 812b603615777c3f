import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ApiError } from './errors.js';
import { deepEqual, type Json } from './field-set.js';
import { apiVersionOf, builtinTypes, typeKey, type ResourceType } from './resource-types.js';
import { admitCustomObject, checkRulesKnown } from './schema-validation.js';
import { parseSelector } from './selectors.js';
import { recordUpdate } from './server-side-apply.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export interface WatchEvent {
  rv: number;
  type: EventType;
  key: string;
  object: Json;
}

export interface WriteOptions {
  manager?: string;
  subresource?: string;
  strict?: boolean;
  /** managedFields were already computed (server-side apply). */
  skipManaged?: boolean;
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const nsName = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;

/**
 * The emulator's etcd and registry: one global resource version, a bounded event history (older
 * watch starts get 410 Gone), generation bumps on spec changes, the status subresource split,
 * optimistic concurrency, finalizers with deletionTimestamp, and background owner-reference GC.
 */
export class Store {
  readonly events = new EventEmitter();
  private rv = 100;
  private readonly types = new Map<string, ResourceType>();
  private readonly objects = new Map<string, Map<string, Json>>();
  private history: WatchEvent[] = [];

  constructor(private readonly historyLimit = 2000) {
    this.events.setMaxListeners(0);
    for (const t of builtinTypes) this.register(t);
  }

  register(t: ResourceType): void {
    if (t.schema) checkRulesKnown(t.schema);
    this.types.set(typeKey(t.group, t.version, t.resource), t);
    if (!this.objects.has(typeKey(t.group, t.version, t.resource))) this.objects.set(typeKey(t.group, t.version, t.resource), new Map());
  }

  allTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  type(group: string, version: string, resource: string): ResourceType {
    const t = this.types.get(typeKey(group, version, resource));
    if (!t) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${resource}.${group || 'core'}/${version})`);
    return t;
  }

  currentRv(): number {
    return this.rv;
  }

  /** True if every event after `rv` is still in the history (else a watch from it gets 410). */
  canResumeFrom(rv: number): boolean {
    if (rv >= this.rv) return true;
    return this.history.length > 0 && rv >= this.history[0]!.rv - 1;
  }

  /** Drops the event history, as etcd compaction does: older watch starts get 410 Gone. */
  compact(): void {
    this.history = [];
  }

  get(t: ResourceType, ns: string | undefined, name: string): Json {
    const obj = this.bucket(t).get(nsName(ns, name));
    if (!obj) throw new ApiError(404, 'NotFound', `${t.resource}${t.group ? '.' + t.group : ''} "${name}" not found`);
    return structuredClone(obj);
  }

  tryGet(t: ResourceType, ns: string | undefined, name: string): Json | undefined {
    const obj = this.bucket(t).get(nsName(ns, name));
    return obj ? structuredClone(obj) : undefined;
  }

  list(t: ResourceType, ns: string | undefined, labelSelector?: string | null): Json[] {
    const match = parseSelector(labelSelector);
    return [...this.bucket(t).values()]
      .filter((o) => (ns === undefined || o.metadata.namespace === ns) && match(o.metadata.labels))
      .map((o) => structuredClone(o));
  }

  eventsSince(rv: number): WatchEvent[] {
    return this.history.filter((e) => e.rv > rv);
  }

  create(t: ResourceType, ns: string | undefined, body: Json, opts: WriteOptions = {}): Json {
    const obj = structuredClone(body);
    obj.apiVersion = apiVersionOf(t);
    obj.kind = t.kind;
    obj.metadata ??= {};
    if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = obj.metadata.generateName + Math.random().toString(36).slice(2, 7);
    if (!obj.metadata.name) throw new ApiError(422, 'Invalid', `${t.kind} is invalid: metadata.name: Required value: name or generateName is required`);
    if (t.namespaced) obj.metadata.namespace = ns;
    if (this.bucket(t).has(nsName(ns, obj.metadata.name))) {
      throw new ApiError(409, 'AlreadyExists', `${t.resource}${t.group ? '.' + t.group : ''} "${obj.metadata.name}" already exists`);
    }
    Object.assign(obj.metadata, { uid: randomUUID(), creationTimestamp: now(), generation: 1 });
    delete obj.metadata.deletionTimestamp;
    if (t.status && !opts.subresource) delete obj.status;
    this.admit(t, obj, undefined, opts);
    if (!opts.skipManaged) recordUpdate(undefined, obj, opts.manager ?? 'unknown');
    if (t.kind === 'CustomResourceDefinition') this.registerCrd(obj);
    return this.commit(t, 'ADDED', obj);
  }

  /**
   * Replaces an object (PUT, or the result of a patch). A stale metadata.resourceVersion is a 409;
   * on the main resource status is kept as is, on /status everything but status is.
   */
  update(t: ResourceType, ns: string | undefined, name: string, body: Json, opts: WriteOptions = {}): Json {
    const old = this.get(t, ns, name);
    const rv = body.metadata?.resourceVersion;
    if (rv && rv !== old.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${t.resource}${t.group ? '.' + t.group : ''} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    let obj = structuredClone(body);
    if (t.status && opts.subresource === 'status')
      obj = { ...old, status: obj.status, metadata: { ...old.metadata, managedFields: obj.metadata?.managedFields ?? old.metadata.managedFields } };
    else if (t.status) obj.status = old.status;
    obj.apiVersion = old.apiVersion;
    obj.kind = old.kind;
    for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp', 'generation', 'namespace', 'name']) obj.metadata[k] = old.metadata[k];
    if (obj.metadata.deletionTimestamp === undefined) delete obj.metadata.deletionTimestamp;
    this.admit(t, obj, old, opts);
    if (!opts.skipManaged) recordUpdate(old, obj, opts.manager ?? 'unknown', opts.subresource);
    if (t.kind === 'CustomResourceDefinition') this.registerCrd(obj);
    const strip = (o: Json): Json => ({ ...o, metadata: undefined, status: undefined });
    if (!deepEqual(strip(old), strip(obj))) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
    if (deepEqual(old, { ...obj, metadata: { ...obj.metadata, resourceVersion: old.metadata.resourceVersion } })) return old;
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers?.length > 0)) return this.remove(t, obj);
    return this.commit(t, 'MODIFIED', obj);
  }

  /** DELETE: with finalizers the object only gets a deletionTimestamp; without, it goes. */
  delete(t: ResourceType, ns: string | undefined, name: string, precondition?: { uid?: string }): Json {
    const old = this.get(t, ns, name);
    if (precondition?.uid && precondition.uid !== old.metadata.uid)
      throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${precondition.uid}, UID in object meta: ${old.metadata.uid}`);
    if (old.metadata.finalizers?.length > 0) {
      if (old.metadata.deletionTimestamp) return old;
      old.metadata.deletionTimestamp = now();
      old.metadata.generation = (old.metadata.generation ?? 1) + 1;
      return this.commit(t, 'MODIFIED', old);
    }
    return this.remove(t, old);
  }

  private remove(t: ResourceType, obj: Json): Json {
    this.bucket(t).delete(nsName(obj.metadata.namespace, obj.metadata.name));
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this.emit({ rv: this.rv, type: 'DELETED', key: typeKey(t.group, t.version, t.resource), object: structuredClone(obj) });
    setImmediate(() => this.collectGarbage());
    return obj;
  }

  /** Background cascading deletion: dependents whose owners are all gone are deleted. */
  collectGarbage(): void {
    const live = new Set<string>();
    for (const b of this.objects.values()) for (const o of b.values()) live.add(o.metadata.uid);
    for (const t of this.types.values()) {
      for (const o of [...this.bucket(t).values()]) {
        const owners: Json[] = o.metadata.ownerReferences ?? [];
        if (owners.length > 0 && owners.every((r) => !live.has(r.uid))) {
          try {
            this.delete(t, o.metadata.namespace, o.metadata.name);
          } catch {
            /* already gone */
          }
        }
      }
    }
  }

  private admit(t: ResourceType, obj: Json, old: Json | undefined, opts: WriteOptions): void {
    if (t.schema) admitCustomObject(obj, t.schema, old, t.kind, t.group, opts.strict ?? false);
    if (obj.metadata.labels) {
      for (const [k, v] of Object.entries(obj.metadata.labels as Record<string, unknown>)) {
        if (typeof v !== 'string' || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v) || v.length > 63) {
          throw new ApiError(
            422,
            'Invalid',
            `${t.kind} "${obj.metadata.name}" is invalid: metadata.labels: Invalid value: "${String(v)}": a valid label value (key ${k}) must be 63 characters or less and alphanumeric with -_.`,
          );
        }
      }
    }
  }

  private registerCrd(crd: Json): void {
    const spec = crd.spec;
    // As kube-apiserver (apiextensions.k8s.io/v1): every version needs a structural schema.
    (spec.versions ?? []).forEach((v: Json, i: number) => {
      if (!v.schema?.openAPIV3Schema)
        throw new ApiError(
          422,
          'Invalid',
          `CustomResourceDefinition.apiextensions.k8s.io "${crd.metadata.name}" is invalid: spec.versions[${i}].schema.openAPIV3Schema: Required value: schemas are required`,
        );
    });
    for (const v of spec.versions ?? []) {
      this.register({
        group: spec.group,
        version: v.name,
        resource: spec.names.plural,
        kind: spec.names.kind,
        namespaced: spec.scope === 'Namespaced',
        status: v.subresources?.status !== undefined,
        schema: v.schema?.openAPIV3Schema,
        shortNames: spec.names.shortNames,
      });
    }
  }

  private commit(t: ResourceType, type: EventType, obj: Json): Json {
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    this.bucket(t).set(nsName(obj.metadata.namespace, obj.metadata.name), obj);
    this.emit({ rv: this.rv, type, key: typeKey(t.group, t.version, t.resource), object: structuredClone(obj) });
    return structuredClone(obj);
  }

  private emit(e: WatchEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    this.events.emit('event', e);
  }

  private bucket(t: ResourceType): Map<string, Json> {
    return this.objects.get(typeKey(t.group, t.version, t.resource))!;
  }
}
