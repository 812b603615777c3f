import { ApiError } from './errors.js';
import { isPlainObject, type Json } from './field-set.js';

/**
 * The structural OpenAPI v3 subset a CRD uses, as the API server applies it: defaulting, pruning of
 * unknown fields, then validation (types, required, enum, pattern, ranges, lengths, item counts)
 * and `x-kubernetes-validations`. CEL cannot run here, so each rule the operator's CRD uses has a
 * JavaScript equivalent below; a CRD with a rule that has none is refused at registration.
 */
export type Cause = { field: string; message: string; reason: string };
type Rule = (self: Json, oldSelf: Json | undefined) => boolean;

const durationSeconds = (s: string): number => {
  let total = 0;
  for (const [, n, unit] of s.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) total += Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'];
  return total;
};

export const celEquivalents: Record<string, Rule> = {
  'self.minReplicas <= self.maxReplicas': (s) => s.minReplicas <= s.maxReplicas,
  "self.source != 'certManager' || has(self.issuerRef)": (s) => s.source !== 'certManager' || s.issuerRef !== undefined,
  "self.source != 'secret' || has(self.secretName)": (s) => s.source !== 'secret' || s.secretName !== undefined,
  'duration(self.renewBefore) < duration(self.duration)': (s) => durationSeconds(s.renewBefore) < durationSeconds(s.duration),
  'has(self.url) != has(self.urlSecretRef)': (s) => (s.url !== undefined) !== (s.urlSecretRef !== undefined),
  '!self.enabled': (s) => s.enabled !== true,
  '!has(self.name) || !has(self.annotations)': (s) => s.name === undefined || s.annotations === undefined,
  "!('app.kubernetes.io/name' in self) && !('app.kubernetes.io/instance' in self) && !('app.kubernetes.io/component' in self) && !('app.kubernetes.io/managed-by' in self) && !('glider.im/cluster' in self)":
    (s) =>
      ['app.kubernetes.io/name', 'app.kubernetes.io/instance', 'app.kubernetes.io/component', 'app.kubernetes.io/managed-by', 'glider.im/cluster'].every(
        (l) => !(l in s),
      ),
  'has(self.userDnPattern) != has(self.userBase)': (s) => (s.userDnPattern !== undefined) !== (s.userBase !== undefined),
  'has(self.bindDn) == has(self.bindPasswordSecretRef)': (s) => (s.bindDn !== undefined) === (s.bindPasswordSecretRef !== undefined),
  "self.url.startsWith('ldaps://') != (has(self.startTls) && self.startTls)": (s) => String(s.url).startsWith('ldaps://') !== (s.startTls === true),
  '!has(self.directory) || self.directory.domains.all(d, d in self.domains)': (s) =>
    s.directory === undefined || Object.keys(s.directory.domains ?? {}).every((d) => (s.domains as string[]).includes(d)),
  '!has(self.sso) || self.sso.domains.all(d, d in self.domains)': (s) =>
    s.sso === undefined || Object.keys(s.sso.domains ?? {}).every((d) => (s.domains as string[]).includes(d)),
};

export function checkRulesKnown(schema: Json, path = ''): void {
  if (!isPlainObject(schema)) return;
  for (const v of (schema['x-kubernetes-validations'] ?? []) as Json[]) {
    if (!celEquivalents[v.rule]) throw new Error(`emulator has no equivalent for CEL rule at ${path || '.'}: ${v.rule}`);
  }
  for (const [k, sub] of Object.entries(schema.properties ?? {})) checkRulesKnown(sub, `${path}.${k}`);
  if (schema.items) checkRulesKnown(schema.items, `${path}[]`);
  if (isPlainObject(schema.additionalProperties)) checkRulesKnown(schema.additionalProperties, `${path}{}`);
}

/** Defaults and prunes `value` in place (returns the new value), collecting unknown field paths. */
export function defaultAndPrune(value: Json, schema: Json, path: string, unknown: string[]): Json {
  if (!isPlainObject(schema) || (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties)) return value;
  if (schema.type === 'object' && isPlainObject(value)) {
    const props: Record<string, Json> = schema.properties ?? {};
    for (const [k, sub] of Object.entries(props)) {
      if (value[k] === undefined && sub.default !== undefined) value[k] = structuredClone(sub.default);
      if (value[k] !== undefined) value[k] = defaultAndPrune(value[k], sub, `${path}.${k}`, unknown);
    }
    if (schema.additionalProperties && isPlainObject(schema.additionalProperties)) {
      for (const k of Object.keys(value)) if (!(k in props)) value[k] = defaultAndPrune(value[k], schema.additionalProperties, `${path}.${k}`, unknown);
    } else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      for (const k of Object.keys(value)) {
        if (!(k in props)) {
          unknown.push(`${path}.${k}`.replace(/^\./, ''));
          delete value[k];
        }
      }
    }
  }
  if (schema.type === 'array' && Array.isArray(value) && schema.items) {
    return value.map((v, i) => defaultAndPrune(v, schema.items, `${path}[${i}]`, unknown));
  }
  return value;
}

function typeOk(value: Json, type: string | undefined): boolean {
  switch (type) {
    case 'object':
      return isPlainObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

const show = (v: Json): string => JSON.stringify(v);

export function validate(value: Json, schema: Json, path: string, oldValue: Json | undefined, out: Cause[]): void {
  if (!isPlainObject(schema) || value === undefined) return;
  const field = path.replace(/^\./, '');
  const bad = (reason: string, message: string): void => void out.push({ field, reason, message });
  if (value === null) {
    if (!schema.nullable) bad('FieldValueTypeInvalid', `Invalid value: "null": ${field} in body must be of type ${schema.type}`);
    return;
  }
  if (!typeOk(value, schema.type))
    return bad('FieldValueTypeInvalid', `Invalid value: "${typeof value}": ${field} in body must be of type ${schema.type}: ${show(value)}`);
  if (schema.enum && !schema.enum.some((e: Json) => e === value)) {
    bad('FieldValueNotSupported', `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}`);
  }
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value))
      bad('FieldValueInvalid', `Invalid value: ${show(value)}: ${field} in body should match '${schema.pattern}'`);
    if (schema.minLength !== undefined && value.length < schema.minLength)
      bad('FieldValueInvalid', `Invalid value: ${show(value)}: ${field} in body should be at least ${schema.minLength} chars long`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      bad('FieldValueTooLong', `Too long: ${field} may not be more than ${schema.maxLength} bytes`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      bad('FieldValueInvalid', `Invalid value: ${value}: ${field} in body should be greater than or equal to ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      bad('FieldValueInvalid', `Invalid value: ${value}: ${field} in body should be less than or equal to ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      bad('FieldValueInvalid', `Invalid value: ${value.length}: ${field} in body should have at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      bad('FieldValueTooMany', `Too many: ${value.length}: must have at most ${schema.maxItems} items`);
    value.forEach((v, i) => validate(v, schema.items, `${path}[${i}]`, undefined, out));
    if (schema['x-kubernetes-list-type'] === 'set') {
      value.forEach((v, i) => {
        if (value.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) < i)
          out.push({ field: `${field}[${i}]`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${show(v)}` });
      });
    }
  }
  if (isPlainObject(value)) {
    for (const r of (schema.required ?? []) as string[]) {
      if (value[r] === undefined) out.push({ field: `${field ? field + '.' : ''}${r}`, reason: 'FieldValueRequired', message: 'Required value' });
    }
    if (schema.maxProperties !== undefined && Object.keys(value).length > schema.maxProperties)
      bad('FieldValueTooMany', `Too many: ${Object.keys(value).length}: must have at most ${schema.maxProperties} items`);
    for (const [k, sub] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) validate(value[k], sub, `${path}.${k}`, oldValue?.[k], out);
    if (isPlainObject(schema.additionalProperties))
      for (const [k, v] of Object.entries(value)) if (!schema.properties?.[k]) validate(v, schema.additionalProperties, `${path}.${k}`, undefined, out);
  }
  for (const v of (schema['x-kubernetes-validations'] ?? []) as Json[]) {
    let ok = false;
    try {
      ok = celEquivalents[v.rule]!(value, oldValue);
    } catch {
      ok = false;
    }
    if (!ok) bad('FieldValueInvalid', `Invalid value: "object": ${v.message ?? `failed rule: ${v.rule}`}`);
  }
}

/** Defaults, prunes and validates a custom object against its version's schema; throws 422 Invalid. */
export function admitCustomObject(obj: Json, schema: Json, old: Json | undefined, kind: string, group: string, strict: boolean): void {
  const unknown: string[] = [];
  for (const part of ['spec', 'status']) {
    if (obj[part] !== undefined && schema.properties?.[part]) obj[part] = defaultAndPrune(obj[part], schema.properties[part], part, unknown);
    // A root that preserves unknown fields keeps what it does not describe (as kube-apiserver does).
    else if (obj[part] !== undefined && !schema.properties?.[part] && schema['x-kubernetes-preserve-unknown-fields'] !== true) delete obj[part];
  }
  const causes: Cause[] = [];
  if (strict) for (const u of unknown) causes.push({ field: u, reason: 'FieldValueInvalid', message: `unknown field "${u}"` });
  for (const part of ['spec', 'status']) validate(obj[part], schema.properties?.[part], part, old?.[part], causes);
  for (const r of (schema.required ?? []) as string[])
    if (obj[r] === undefined) causes.push({ field: r, reason: 'FieldValueRequired', message: 'Required value' });
  if (causes.length > 0) {
    const name = obj.metadata?.name ?? '';
    const detail = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    throw new ApiError(422, 'Invalid', `${kind}.${group} "${name}" is invalid: ${causes.length > 1 ? `[${detail}]` : detail}`, causes);
  }
}
