import { ApiError } from './errors.js';
import { isPlainObject, type Json } from './field-set.js';

/** RFC 7386 JSON merge patch (also used for strategic merge patch: lists are replaced). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** RFC 6902 JSON patch: add, replace, remove, test. */
export function jsonPatch(target: Json, ops: Json[]): Json {
  const doc = structuredClone(target);
  for (const op of ops) {
    const parts = String(op.path).split('/').slice(1).map(unescape);
    const last = parts.pop()!;
    let parent = doc;
    for (const p of parts) {
      parent = Array.isArray(parent) ? parent[Number(p)] : parent?.[p];
      if (parent === undefined) throw new ApiError(422, 'Invalid', `jsonpatch: path ${op.path} not found`);
    }
    const idx = Array.isArray(parent) ? (last === '-' ? parent.length : Number(last)) : undefined;
    switch (op.op) {
      case 'add':
        if (Array.isArray(parent)) parent.splice(idx!, 0, op.value);
        else parent[last] = op.value;
        break;
      case 'replace':
        if (Array.isArray(parent)) parent[idx!] = op.value;
        else {
          if (!(last in parent)) throw new ApiError(422, 'Invalid', `jsonpatch replace: missing path ${op.path}`);
          parent[last] = op.value;
        }
        break;
      case 'remove':
        if (Array.isArray(parent)) parent.splice(idx!, 1);
        else delete parent[last];
        break;
      case 'test':
        if (JSON.stringify(Array.isArray(parent) ? parent[idx!] : parent[last]) !== JSON.stringify(op.value)) {
          throw new ApiError(422, 'Invalid', `jsonpatch test failed at ${op.path}`);
        }
        break;
      default:
        throw new ApiError(400, 'BadRequest', `unsupported json patch op ${op.op}`);
    }
  }
  return doc;
}
