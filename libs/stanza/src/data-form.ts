import { tryParseJid } from '#libs/jid';
import { Element, xml } from '#libs/xml';
import { NS } from './namespaces.js';

/** XEP-0004 §3.3 field types. */
export type FieldType =
  'boolean' | 'fixed' | 'hidden' | 'jid-multi' | 'jid-single' | 'list-multi' | 'list-single' | 'text-multi' | 'text-private' | 'text-single';

export interface FormField {
  var?: string;
  type: FieldType;
  label?: string;
  required?: boolean;
  /** list-single / list-multi choices. */
  options?: { label?: string; value: string }[];
  values?: string[];
}

export interface FormDefinition {
  /** The hidden FORM_TYPE field (XEP-0068). */
  formType?: string;
  title?: string;
  instructions?: string;
  fields: FormField[];
}

const FIELD_TYPES = new Set<string>([
  'boolean',
  'fixed',
  'hidden',
  'jid-multi',
  'jid-single',
  'list-multi',
  'list-single',
  'text-multi',
  'text-private',
  'text-single',
]);
const MULTI = new Set<FieldType>(['jid-multi', 'list-multi', 'text-multi']);

/** An `<x xmlns='jabber:x:data'/>` of `type` (form to fill, result to show) from a definition. */
export function dataForm(type: 'form' | 'result', def: FormDefinition): Element {
  const x = xml('x', { xmlns: NS.xdata, type });
  if (def.title) x.append(xml('title', {}, def.title));
  if (def.instructions) x.append(xml('instructions', {}, def.instructions));
  if (def.formType) x.append(xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, def.formType)));
  for (const f of def.fields) {
    const attrs: Record<string, string> = { type: f.type };
    if (f.var) attrs.var = f.var;
    if (f.label) attrs.label = f.label;
    const field = xml('field', attrs);
    if (f.required && type === 'form') field.append(xml('required'));
    for (const o of f.options ?? []) field.append(xml('option', o.label ? { label: o.label } : {}, xml('value', {}, o.value)));
    for (const v of f.values ?? []) field.append(xml('value', {}, v));
    x.append(field);
  }
  return x;
}

/** A submitted form's values by field var, checked against the form it answers. */
export type FormValues = ReadonlyMap<string, string[]>;

/** Why a submitted form does not answer its form (XEP-0004 §3.3 types, required fields, FORM_TYPE). */
export class FormError extends Error {
  override name = 'FormError';
}

const BOOLEAN = new Set(['0', '1', 'true', 'false']);

/**
 * Reads `x` (type submit, XEP-0004 §3.2) against `def`: each known field's values must fit its
 * type (one value for single types, JIDs valid per RFC 7622, list values among the options,
 * booleans 0/1/true/false), required fields must be there, and a FORM_TYPE must be the form's own.
 * Fields the form does not define are ignored. Throws FormError naming the first problem.
 */
export function readSubmittedForm(x: Element | undefined, def: FormDefinition): FormValues {
  if (!x || !x.is('x', NS.xdata)) throw new FormError('no data form (jabber:x:data) in the request');
  if (x.attrs.type !== 'submit') throw new FormError(`the data form must be of type "submit", not "${x.attrs.type ?? ''}"`);
  const submitted = new Map<string, string[]>();
  for (const f of x.getChildren('field')) {
    const name = f.attrs.var;
    if (!name) continue;
    if (submitted.has(name)) throw new FormError(`field "${name}" appears twice`);
    if (f.attrs.type !== undefined && !FIELD_TYPES.has(f.attrs.type)) throw new FormError(`field "${name}" has an unknown type "${f.attrs.type}"`);
    submitted.set(
      name,
      f.getChildren('value').map((v) => v.text()),
    );
  }
  const formType = submitted.get('FORM_TYPE');
  if (def.formType && formType && (formType.length !== 1 || formType[0] !== def.formType)) {
    throw new FormError(`FORM_TYPE must be ${def.formType}`);
  }
  const values = new Map<string, string[]>();
  for (const field of def.fields) {
    if (!field.var) continue;
    const got = (submitted.get(field.var) ?? []).filter((v, _, all) => v !== '' || all.length > 1);
    if (got.length === 0) {
      if (field.required) throw new FormError(`field "${field.var}" is required`);
      continue;
    }
    checkField(field, got);
    values.set(field.var, field.type === 'boolean' ? [got[0] === '1' || got[0] === 'true' ? 'true' : 'false'] : got);
  }
  return values;
}

function checkField(field: FormField, got: string[]): void {
  const name = field.var!;
  if (!MULTI.has(field.type) && got.length > 1) throw new FormError(`field "${name}" (${field.type}) takes one value`);
  if (field.type === 'boolean' && !BOOLEAN.has(got[0]!)) throw new FormError(`field "${name}" is a boolean: 0, 1, true or false`);
  if (field.type === 'jid-single' || field.type === 'jid-multi') {
    for (const v of got) if (!tryParseJid(v)) throw new FormError(`field "${name}": "${v}" is not a valid JID`);
  }
  if ((field.type === 'list-single' || field.type === 'list-multi') && field.options) {
    const allowed = new Set(field.options.map((o) => o.value));
    for (const v of got) if (!allowed.has(v)) throw new FormError(`field "${name}": "${v}" is not one of its options`);
  }
}
