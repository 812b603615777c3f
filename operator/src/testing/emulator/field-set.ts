/**
 * Field paths for server-side apply: a path is a list of segments, `f:<field>` for a map key and
 * `k:<json>` for an item of a list keyed by `name` (containers, ports, env, volumes) or `type`
 * (conditions). Other lists are atomic: owned and replaced as a whole, as in structured-merge-diff.
 */
export type Json = any;
export type Path = string[];

const SKIP_META = new Set(['name', 'namespace', 'resourceVersion', 'uid', 'managedFields', 'creationTimestamp', 'generation', 'deletionTimestamp']);

export function isPlainObject(v: unknown): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function listKey(list: unknown[]): string | undefined {
  if (list.length === 0 || !list.every(isPlainObject)) return undefined;
  for (const k of ['name', 'type']) if (list.every((i) => typeof i[k] === 'string')) return k;
  return undefined;
}

function itemSegment(key: string, item: Record<string, Json>): string {
  return `k:${JSON.stringify({ [key]: item[key] })}`;
}

/** Leaf paths of an object (what a manager claims by sending it). */
export function fieldsOf(obj: Json, prefix: Path = []): Path[] {
  const out: Path[] = [];
  if (!isPlainObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (prefix.length === 0 && (k === 'apiVersion' || k === 'kind')) continue;
    if (prefix.length === 1 && prefix[0] === 'f:metadata' && SKIP_META.has(k)) continue;
    const p = [...prefix, `f:${k}`];
    if (isPlainObject(v) && Object.keys(v).length > 0) out.push(...fieldsOf(v, p));
    else if (Array.isArray(v) && listKey(v)) {
      const key = listKey(v)!;
      for (const item of v) out.push(...fieldsOf(item, [...p, itemSegment(key, item)]));
    } else out.push(p);
  }
  return out;
}

function step(node: Json, seg: string): Json {
  if (node === undefined || node === null) return undefined;
  if (seg.startsWith('f:')) return isPlainObject(node) ? node[seg.slice(2)] : undefined;
  if (!Array.isArray(node)) return undefined;
  const want = JSON.parse(seg.slice(2)) as Record<string, Json>;
  const [k, v] = Object.entries(want)[0]!;
  return node.find((i) => isPlainObject(i) && i[k] === v);
}

export function getPath(obj: Json, path: Path): Json {
  return path.reduce(step, obj);
}

/** Removes the value at `path`, then any object or keyed item the removal left empty. */
export function deletePath(obj: Json, path: Path): void {
  const parents: Json[] = [obj];
  for (const seg of path.slice(0, -1)) parents.push(step(parents[parents.length - 1], seg));
  for (let i = path.length - 1; i >= 0; i--) {
    const parent = parents[i];
    const seg = path[i]!;
    if (parent === undefined || parent === null) return;
    if (i < path.length - 1) {
      const child = step(parent, seg);
      const empty = isPlainObject(child) && Object.keys(child).length === 0;
      if (!empty) return;
    }
    if (seg.startsWith('f:') && isPlainObject(parent)) delete parent[seg.slice(2)];
    else if (Array.isArray(parent)) {
      const item = step(parent, seg);
      const idx = parent.indexOf(item);
      if (idx >= 0) parent.splice(idx, 1);
    }
  }
}

export function deepEqual(a: Json, b: Json): boolean {
  return JSON.stringify(canon(a)) === JSON.stringify(canon(b));
}

function canon(v: Json): Json {
  if (Array.isArray(v)) return v.map(canon);
  if (isPlainObject(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canon(v[k])]),
    );
  return v;
}

/** Merges an applied configuration into the live object: maps recursively, keyed lists by key. */
export function mergeApplied(live: Json, applied: Json): Json {
  if (isPlainObject(live) && isPlainObject(applied)) {
    const out: Record<string, Json> = { ...live };
    for (const [k, v] of Object.entries(applied)) out[k] = k in live ? mergeApplied(live[k], v) : structuredClone(v);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(applied) && listKey(applied) && (live.length === 0 || listKey(live) === listKey(applied))) {
    const key = listKey(applied)!;
    const out = live.map((i) => structuredClone(i));
    for (const item of applied) {
      const idx = out.findIndex((i) => i[key] === item[key]);
      if (idx >= 0) out[idx] = mergeApplied(out[idx], item);
      else out.push(structuredClone(item));
    }
    return out;
  }
  return structuredClone(applied);
}

/** Leaf paths whose value differs between two versions of an object. */
export function changedPaths(before: Json, after: Json): Path[] {
  const all = new Map<string, Path>();
  for (const p of [...fieldsOf(before), ...fieldsOf(after)]) all.set(JSON.stringify(p), p);
  return [...all.values()].filter((p) => !deepEqual(getPath(before, p), getPath(after, p)));
}

/** `fieldsV1` (nested `f:`/`k:` maps) from a set of paths, and back. */
export function toFieldsV1(paths: Path[]): Json {
  const root: Record<string, Json> = {};
  for (const p of paths) {
    let node = root;
    for (const seg of p) node = node[seg] ??= {};
  }
  return root;
}

export function fromFieldsV1(fields: Json, prefix: Path = []): Path[] {
  if (!isPlainObject(fields)) return [];
  const out: Path[] = [];
  for (const [seg, child] of Object.entries(fields)) {
    if (seg === '.') continue;
    const p = [...prefix, seg];
    if (isPlainObject(child) && Object.keys(child).some((k) => k !== '.')) out.push(...fromFieldsV1(child, p));
    else out.push(p);
  }
  return out;
}

export const pathKey = (p: Path): string => JSON.stringify(p);
