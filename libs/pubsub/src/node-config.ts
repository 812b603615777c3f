import { NS, StanzaError, dataForm, type FormField } from '#libs/stanza';
import type { Element } from '#libs/xml';
import { pubsubError } from './pubsub-errors.js';

export const NODE_CONFIG_FORM = 'http://jabber.org/protocol/pubsub#node_config';
export const PUBLISH_OPTIONS_FORM = 'http://jabber.org/protocol/pubsub#publish-options';

/** The access models served (XEP-0060 §4.5); `authorize` is not (no approval flow yet). */
export const ACCESS_MODELS = ['open', 'presence', 'roster', 'whitelist'] as const;
export type AccessModel = (typeof ACCESS_MODELS)[number];
export const PUBLISH_MODELS = ['publishers', 'open'] as const;
export const SEND_LAST = ['never', 'on_sub', 'on_sub_and_presence'] as const;

/**
 * A node's configuration (XEP-0060 §16.4.4 `pubsub#node_config`), typed. Stored as form values
 * (PubSubNodeRecord.config), so a later field is a new entry, not a migration.
 */
export interface NodeConfig {
  accessModel: AccessModel;
  publishModel: (typeof PUBLISH_MODELS)[number];
  maxItems: number;
  persistItems: boolean;
  deliverPayloads: boolean;
  deliverNotifications: boolean;
  notifyRetract: boolean;
  notifyDelete: boolean;
  sendLastPublishedItem: (typeof SEND_LAST)[number];
  rosterGroupsAllowed: string[];
  title: string;
  type: string;
}

export interface ConfigLimits {
  /** 'max' and the largest max_items accepted. */
  maxItemsPerNode: number;
}

type Key = keyof NodeConfig;
interface FieldSpec {
  key: Key;
  field: FormField;
  read(values: string[], limits: ConfigLimits): NodeConfig[Key] | undefined;
  write(v: NodeConfig[Key]): string[];
}

const bool = (key: Key, label: string): FieldSpec => ({
  key,
  field: { var: '', type: 'boolean', label },
  read: ([v]) => (v === '1' || v === 'true' ? true : v === '0' || v === 'false' ? false : undefined),
  write: (v) => [v ? '1' : '0'],
});
const list = (key: Key, label: string, options: readonly string[]): FieldSpec => ({
  key,
  field: { var: '', type: 'list-single', label, options: options.map((value) => ({ value })) },
  read: (values) => (values.length === 1 && options.includes(values[0]!) ? values[0] : undefined),
  write: (v) => [String(v)],
});
const text = (key: Key, label: string): FieldSpec => ({
  key,
  field: { var: '', type: 'text-single', label },
  read: (values) => (values.length <= 1 ? (values[0] ?? '') : undefined),
  write: (v) => (v === '' ? [] : [String(v)]),
});

const FIELDS: Record<string, FieldSpec> = {
  'pubsub#access_model': list('accessModel', 'Who may subscribe and retrieve items', ACCESS_MODELS),
  'pubsub#publish_model': list('publishModel', 'Who may publish', PUBLISH_MODELS),
  'pubsub#max_items': {
    key: 'maxItems',
    field: { var: '', type: 'text-single', label: 'Items to keep' },
    read: ([v], limits) => {
      if (v === 'max') return limits.maxItemsPerNode;
      const n = v !== undefined && /^\d+$/.test(v) ? Number(v) : NaN;
      return n >= 1 && n <= limits.maxItemsPerNode ? n : undefined;
    },
    write: (v) => [String(v)],
  },
  'pubsub#persist_items': bool('persistItems', 'Keep items in storage'),
  'pubsub#deliver_payloads': bool('deliverPayloads', 'Send payloads with notifications'),
  'pubsub#deliver_notifications': bool('deliverNotifications', 'Send notifications'),
  'pubsub#notify_retract': bool('notifyRetract', 'Notify when an item is retracted'),
  'pubsub#notify_delete': bool('notifyDelete', 'Notify when the node is deleted'),
  'pubsub#send_last_published_item': list('sendLastPublishedItem', 'When to send the last item', SEND_LAST),
  'pubsub#roster_groups_allowed': {
    key: 'rosterGroupsAllowed',
    field: { var: '', type: 'list-multi', label: 'Roster groups allowed (access model roster)' },
    read: (values) => values.filter((v) => v !== ''),
    write: (v) => [...(v as string[])],
  },
  'pubsub#title': text('title', 'A name for the node'),
  'pubsub#type': text('type', 'The payload namespace'),
};

/** The defaults of a PEP node (XEP-0163 §4: presence access, last item on presence) or of a service node. */
export function defaultConfig(kind: 'pep' | 'service', maxItems: number): NodeConfig {
  return {
    accessModel: kind === 'pep' ? 'presence' : 'open',
    publishModel: 'publishers',
    maxItems,
    persistItems: true,
    deliverPayloads: true,
    deliverNotifications: true,
    notifyRetract: true,
    notifyDelete: true,
    sendLastPublishedItem: kind === 'pep' ? 'on_sub_and_presence' : 'never',
    rosterGroupsAllowed: [],
    title: '',
    type: '',
  };
}

/** Stored form values → config (unknown or bad stored values fall back to `base`). */
export function configFromStored(stored: Record<string, string[]>, base: NodeConfig, limits: ConfigLimits): NodeConfig {
  const out = { ...base } as Record<Key, unknown>;
  for (const [v, spec] of Object.entries(FIELDS)) {
    const values = stored[v];
    if (!values) continue;
    const parsed = spec.read(values, limits);
    if (parsed !== undefined) out[spec.key] = parsed;
  }
  return out as unknown as NodeConfig;
}

export function configToStored(c: NodeConfig): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [v, spec] of Object.entries(FIELDS)) out[v] = spec.write(c[spec.key]);
  return out;
}

/** §8.2.1: the configuration form an owner fills (`type='form'`), with the current values. */
export function configForm(c: NodeConfig): Element {
  const fields = Object.entries(FIELDS).map(([v, spec]) => ({ ...spec.field, var: v, values: spec.write(c[spec.key]) }));
  return dataForm('form', { formType: NODE_CONFIG_FORM, fields });
}

/** The submitted values of a node_config or publish-options form, by field var (FORM_TYPE checked). */
export function submittedValues(x: Element | undefined, formType: string): Map<string, string[]> | StanzaError {
  if (!x || !x.is('x', NS.xdata)) return new StanzaError('bad-request', { text: 'expected a data form (jabber:x:data)' });
  if (x.attrs.type === 'cancel') return new Map();
  if (x.attrs.type !== 'submit') return new StanzaError('bad-request', { text: 'the data form must be of type "submit"' });
  const out = new Map<string, string[]>();
  for (const f of x.getChildren('field')) {
    const v = f.attrs.var;
    if (!v) continue;
    if (out.has(v)) return new StanzaError('bad-request', { text: `field ${v} appears twice` });
    out.set(
      v,
      f.getChildren('value').map((e) => e.text()),
    );
  }
  const ft = out.get('FORM_TYPE');
  if (ft && (ft.length !== 1 || ft[0] !== formType)) return new StanzaError('bad-request', { text: `FORM_TYPE must be ${formType}` });
  out.delete('FORM_TYPE');
  return out;
}

/**
 * §8.2.4 / §6.1.x: applies submitted node_config values to `base`. An unknown option or a value the
 * service does not take is <not-acceptable/> (§8.2.5.4 "the form contains options the service does
 * not support"), naming the field.
 */
export function applyConfig(base: NodeConfig, values: Map<string, string[]>, limits: ConfigLimits): NodeConfig | StanzaError {
  const out = { ...base } as Record<Key, unknown>;
  for (const [v, vals] of values) {
    const spec = FIELDS[v];
    if (!spec) return pubsubError('not-acceptable', 'invalid-options', `unknown node option ${v}`);
    const parsed = spec.read(vals, limits);
    if (parsed === undefined) return pubsubError('not-acceptable', 'invalid-options', `value of ${v} not accepted`);
    out[spec.key] = parsed;
  }
  return out as unknown as NodeConfig;
}

/**
 * XEP-0223 / XEP-0060 §7.1.5: every publish-options field is a precondition on the node's
 * configuration; one that does not hold (or that the service does not know) is <conflict/> with
 * <precondition-not-met/>.
 */
export function checkPreconditions(current: NodeConfig, values: Map<string, string[]>, limits: ConfigLimits): StanzaError | undefined {
  for (const [v, vals] of values) {
    const spec = FIELDS[v];
    const wanted = spec?.read(vals, limits);
    if (!spec || wanted === undefined) return pubsubError('conflict', 'precondition-not-met', `precondition ${v} cannot be met`);
    if (JSON.stringify(spec.write(wanted)) !== JSON.stringify(spec.write(current[spec.key]))) {
      return pubsubError('conflict', 'precondition-not-met', `the node's ${v} is not ${vals.join(' ')}`);
    }
  }
  return undefined;
}
