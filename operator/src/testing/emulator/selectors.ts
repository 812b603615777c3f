import { ApiError } from './errors.js';

/** Kubernetes label selectors (the string form of `?labelSelector=`): =, ==, !=, in, notin, exists, !exists. */
export type Labels = Record<string, string> | undefined;
type Requirement = (labels: Record<string, string>) => boolean;

export function parseSelector(selector: string | null | undefined): (labels: Labels) => boolean {
  if (!selector) return () => true;
  const reqs = splitTopLevel(selector).map(parseRequirement);
  return (labels) => reqs.every((r) => r(labels ?? {}));
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

function parseRequirement(req: string): Requirement {
  let m = /^([^\s!=]+)\s+(in|notin)\s+\((.*)\)$/.exec(req);
  if (m) {
    const [, key, op, list] = m;
    const values = new Set(list!.split(',').map((v) => v.trim()));
    return op === 'in' ? (l) => key! in l && values.has(l[key!]!) : (l) => !(key! in l) || !values.has(l[key!]!);
  }
  m = /^([^\s!=]+)\s*(==|=|!=)\s*(.*)$/.exec(req);
  if (m) {
    const [, key, op, value] = m;
    return op === '!=' ? (l) => l[key!] !== value : (l) => l[key!] === value;
  }
  if (req.startsWith('!')) {
    const key = req.slice(1).trim();
    return (l) => !(key in l);
  }
  if (/^[^\s!=(),]+$/.test(req)) return (l) => req in l;
  throw new Error(`unable to parse requirement: ${req}`);
}

/**
 * `?fieldSelector=`: the fields every resource type supports, metadata.name and metadata.namespace,
 * with =, == and != (the API server refuses any other field of most types with 400, as this does).
 */
export function parseFieldSelector(selector: string | null | undefined): (o: { metadata: { name?: string; namespace?: string } }) => boolean {
  if (!selector) return () => true;
  const reqs = selector.split(',').map((req) => {
    const m = /^\s*(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*?)\s*$/.exec(req);
    if (!m) throw new ApiError(400, 'BadRequest', `unable to parse requirement or field label not supported: "${req.trim()}"`);
    const [, field, op, value] = m;
    const get = (o: { metadata: { name?: string; namespace?: string } }) => (field === 'metadata.name' ? o.metadata.name : o.metadata.namespace) ?? '';
    return op === '!='
      ? (o: { metadata: { name?: string; namespace?: string } }) => get(o) !== value
      : (o: { metadata: { name?: string; namespace?: string } }) => get(o) === value;
  });
  return (o) => reqs.every((r) => r(o));
}
