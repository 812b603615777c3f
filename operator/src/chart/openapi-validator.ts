import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The parts of an OpenAPI v3 schema object that the validator reads. */
interface Schema {
  $ref?: string;
  type?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  enum?: unknown[];
  items?: Schema;
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  description?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}
interface Indexed {
  schema: Schema;
  all: Record<string, Schema>;
}

/**
 * Validates Kubernetes objects against the API server's published OpenAPI v3 schemas
 * (api/openapi-spec/v3/*.json of k8s.io/kubernetes), offline: types, required fields, enums,
 * and unknown fields (as `kubectl apply` with strict field validation refuses them).
 */
export class OpenApiValidator {
  private readonly byGvk = new Map<string, Indexed>();

  constructor(schemaDir: string) {
    for (const f of readdirSync(schemaDir).filter((f) => f.endsWith('.json'))) {
      const doc = JSON.parse(readFileSync(join(schemaDir, f), 'utf8')) as { components?: { schemas?: Record<string, Schema> } };
      const all = doc.components?.schemas ?? {};
      for (const schema of Object.values(all)) {
        for (const g of schema['x-kubernetes-group-version-kind'] ?? []) {
          this.byGvk.set(`${g.group ? `${g.group}/` : ''}${g.version}/${g.kind}`, { schema, all });
        }
      }
    }
  }

  knows(apiVersion: string, kind: string): boolean {
    return this.byGvk.has(`${apiVersion}/${kind}`);
  }

  /** Problems found, as `path: message`; empty when valid. */
  validate(obj: Record<string, unknown>): string[] {
    const gvk = `${String(obj['apiVersion'])}/${String(obj['kind'])}`;
    const entry = this.byGvk.get(gvk);
    if (!entry) return [`no schema for ${gvk}`];
    const out: string[] = [];
    this.check(obj, entry.schema, entry.all, '', out);
    return out;
  }

  private resolve(s: Schema, all: Record<string, Schema>): Schema {
    let cur = s;
    for (let i = 0; i < 20; i++) {
      if (cur.$ref) cur = { ...all[cur.$ref.replace('#/components/schemas/', '')], ...withoutKeys(cur, ['$ref']) };
      else if (cur.allOf?.length === 1 && !cur.type && !cur.properties) cur = { ...this.resolve(cur.allOf[0]!, all), ...withoutKeys(cur, ['allOf']) };
      else return cur;
    }
    return cur;
  }

  private check(v: unknown, raw: Schema, all: Record<string, Schema>, path: string, out: string[]): void {
    const s = this.resolve(raw, all);
    if (v === null || v === undefined) return;
    if (s.oneOf || s.anyOf) {
      const branches: Schema[] = s.oneOf ?? s.anyOf ?? [];
      if (
        !branches.some((b) => {
          const o: string[] = [];
          this.check(v, b, all, path, o);
          return o.length === 0;
        })
      )
        out.push(`${path || '.'}: ${JSON.stringify(v)} matches none of ${branches.map((b) => b.type ?? '?').join('|')}`);
      return;
    }
    const type = s.type;
    const actual = Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v;
    if (type && !(type === actual || (type === 'number' && actual === 'integer'))) {
      out.push(`${path || '.'}: expected ${type}, got ${actual} (${JSON.stringify(v).slice(0, 60)})`);
      return;
    }
    if (s.enum && !s.enum.includes(v)) out.push(`${path}: ${JSON.stringify(v)} not one of ${s.enum.join(', ')}`);
    const items = s.items;
    if (actual === 'array' && items) (v as unknown[]).forEach((item, i) => this.check(item, items, all, `${path}[${i}]`, out));
    if (actual === 'object') {
      const o = v as Record<string, unknown>;
      for (const r of s.required ?? []) if (o[r] === undefined) out.push(`${path}.${r}: required`);
      const props: Record<string, Schema> = s.properties ?? {};
      for (const [k, val] of Object.entries(o)) {
        const prop = props[k];
        if (prop) this.check(val, prop, all, `${path}.${k}`, out);
        else if (s.additionalProperties && typeof s.additionalProperties === 'object') this.check(val, s.additionalProperties, all, `${path}.${k}`, out);
        else if (s.properties && !s['x-kubernetes-preserve-unknown-fields']) out.push(`${path}.${k}: unknown field`);
      }
    }
  }
}

function withoutKeys(s: Schema, keys: string[]): Schema {
  return Object.fromEntries(Object.entries(s).filter(([k]) => !keys.includes(k) && k !== 'description'));
}
