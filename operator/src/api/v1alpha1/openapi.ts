import { z } from 'zod';

type Schema = Record<string, unknown>;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * A zod schema as a Kubernetes structural schema: OpenAPI 3.0 from zod, then what the API server
 * requires of a CRD: no `additionalProperties: false` (unknown fields are pruned instead), and
 * free-form maps marked `x-kubernetes-preserve-unknown-fields`.
 */
export function toStructural(schema: z.ZodType): Schema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'throw' }) as Schema;
  delete json.$schema;
  return clean(json);
}

function clean(node: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === 'additionalProperties') {
      if (v === false) continue;
      if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) {
        out['x-kubernetes-preserve-unknown-fields'] = true;
        continue;
      }
      out[k] = clean(v as Schema);
    } else if ((k === 'maximum' && v === MAX_SAFE) || (k === 'minimum' && v === -MAX_SAFE)) {
      continue;
    } else if (k === 'properties') {
      const props = Object.entries(v as Record<string, Schema>).map(([p, s]) => [p, clean(s)] as const);
      if (props.length > 0) out[k] = Object.fromEntries(props);
    } else if (k === 'items') {
      out[k] = clean(v as Schema);
    } else out[k] = v;
  }
  return out;
}
