import { changedPaths, deepEqual, deletePath, fieldsOf, fromFieldsV1, getPath, mergeApplied, pathKey, toFieldsV1, type Json, type Path } from './field-set.js';
import { ApiError } from './errors.js';

/** One entry of metadata.managedFields. */
interface Managed {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource?: string;
  paths: Path[];
}

function readManaged(obj: Json): Managed[] {
  return ((obj?.metadata?.managedFields ?? []) as Json[]).map((m) => ({
    manager: m.manager,
    operation: m.operation,
    subresource: m.subresource,
    paths: fromFieldsV1(m.fieldsV1),
  }));
}

function writeManaged(obj: Json, managed: Managed[], apiVersion: string): void {
  obj.metadata.managedFields = managed
    .filter((m) => m.paths.length > 0)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion,
      time: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(m.paths),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
}

const inScope = (p: Path, subresource: string | undefined): boolean => (subresource === 'status' ? p[0] === 'f:status' : p[0] !== 'f:status');

/**
 * Server-side apply (application/apply-patch+yaml): `applied` is the manager's whole intent. Fields
 * it owned before and no longer sends are removed unless someone else owns them; fields another
 * manager owns with a different value conflict (409) unless `force`, which takes them over.
 */
export function serverSideApply(live: Json | undefined, applied: Json, manager: string, force: boolean, subresource?: string): Json {
  const base: Json = structuredClone(live ?? { apiVersion: applied.apiVersion, kind: applied.kind, metadata: {} });
  const managed = readManaged(base);
  const newPaths = fieldsOf(applied).filter((p) => inScope(p, subresource));
  const newKeys = new Set(newPaths.map(pathKey));
  const conflicts: string[] = [];
  for (const m of managed) {
    if (m.manager === manager && m.operation === 'Apply') continue;
    const keep: Path[] = [];
    for (const p of m.paths) {
      if (newKeys.has(pathKey(p)) && !deepEqual(getPath(base, p), getPath(applied, p))) {
        if (!force) conflicts.push(`conflict with "${m.manager}": .${p.map((s) => s.slice(2)).join('.')}`);
        else continue;
      }
      keep.push(p);
    }
    m.paths = keep;
  }
  if (conflicts.length > 0) {
    throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict(s): ${conflicts.join('; ')}`);
  }
  const mine = managed.find((m) => m.manager === manager && m.operation === 'Apply' && m.subresource === subresource);
  const othersOwn = new Set(managed.filter((m) => m !== mine).flatMap((m) => m.paths.map(pathKey)));
  for (const p of mine?.paths ?? []) {
    if (!newKeys.has(pathKey(p)) && !othersOwn.has(pathKey(p))) deletePath(base, p);
  }
  const scoped = structuredClone(applied);
  if (subresource === 'status') for (const k of Object.keys(scoped)) if (!['apiVersion', 'kind', 'metadata', 'status'].includes(k)) delete scoped[k];
  if (subresource !== 'status') delete scoped.status;
  const merged = mergeApplied(base, scoped);
  const next = managed.filter((m) => m !== mine);
  next.push({ manager, operation: 'Apply', subresource, paths: newPaths });
  writeManaged(merged, next, applied.apiVersion);
  return merged;
}

/** Records field ownership for a non-apply write (create, update, merge or JSON patch). */
export function recordUpdate(before: Json | undefined, after: Json, manager: string, subresource?: string): void {
  const managed = readManaged(before ?? {});
  const changed = changedPaths(before ?? {}, after).filter((p) => inScope(p, subresource));
  const changedKeys = new Set(changed.map(pathKey));
  for (const m of managed) m.paths = m.paths.filter((p) => !changedKeys.has(pathKey(p)));
  let mine = managed.find((m) => m.manager === manager && m.operation === 'Update' && m.subresource === subresource);
  if (!mine) managed.push((mine = { manager, operation: 'Update', subresource, paths: [] }));
  const present = changed.filter((p) => getPath(after, p) !== undefined);
  mine.paths = [...mine.paths, ...present];
  writeManaged(after, managed, after.apiVersion);
}
