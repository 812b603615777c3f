import { tryParseJid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import type { ArchiveFilter, ArchivePaging } from '#libs/storage';
import type { Element } from '#libs/xml';

/** The `#extended` namespace: before-id/after-id/ids fields and `<metadata/>` (XEP-0313 §4.1.3, §6.1). */
export const MAM_EXTENDED = `${NS.mam}#extended`;

export interface PageLimits {
  /** Page size without an RSM `<max/>`. */
  defaultPageSize: number;
  /** Largest page served; a larger `<max/>` is cut to it (XEP-0059 §2.1 lets the server). */
  maxPageSize: number;
}

/** One `<query xmlns='urn:xmpp:mam:2'/>`, read. */
export interface ArchiveQuery {
  /** Echoed in every `<result/>` (XEP-0313 §4.2). */
  queryId?: string;
  filter: ArchiveFilter;
  paging: ArchivePaging;
  /** §4.3 `<flip-page/>`: the page is returned newest first. */
  flip: boolean;
}

const XEP82 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const bad = (text: string) => new StanzaError('bad-request', { text });

/**
 * Reads a query: its data form (XEP-0313 §4.1: FORM_TYPE, with, start, end, and the #extended
 * before-id/after-id/ids) and its XEP-0059 `<set/>`. Returns the query or the StanzaError to answer:
 * `bad-request` for a malformed form, `feature-not-implemented` for a field it does not know (§4.1.5)
 * and for RSM `<index/>`.
 */
export function parseArchiveQuery(query: Element, limits: PageLimits): ArchiveQuery | StanzaError {
  const filter: ArchiveFilter = {};
  const form = query.getChild('x', NS.xdata);
  if (form) {
    if (form.attrs.type !== 'submit') return bad('the data form must be of type submit');
    for (const field of form.getChildren('field', NS.xdata)) {
      const err = readField(field, filter, limits);
      if (err) return err;
    }
  }
  if (filter.start && filter.end && filter.start > filter.end) return bad('start is after end');
  const paging = readSet(query.getChild('set', NS.rsm), limits);
  if (paging instanceof StanzaError) return paging;
  const queryId = query.attrs.queryid;
  return { ...(queryId !== undefined ? { queryId } : {}), filter, paging, flip: query.getChild('flip-page') !== undefined };
}

function readField(field: Element, filter: ArchiveFilter, limits: PageLimits): StanzaError | undefined {
  const name = field.attrs.var;
  const values = field.getChildren('value', NS.xdata).map((v) => v.text().trim());
  const one = values[0];
  if (name === 'ids') {
    if (values.length > limits.maxPageSize) return bad(`at most ${limits.maxPageSize} ids`);
    filter.ids = values;
    return undefined;
  }
  if (values.length > 1) return bad(`field ${name} takes one value`);
  // An empty value means the field is not used (clients send the whole form).
  if (one === undefined || one === '') return name === 'FORM_TYPE' ? bad('FORM_TYPE has no value') : known(name);
  switch (name) {
    case 'FORM_TYPE':
      return one === NS.mam ? undefined : bad(`FORM_TYPE must be ${NS.mam}`);
    case 'with': {
      const jid = tryParseJid(one);
      if (!jid) return bad(`with is not a JID: ${one}`);
      filter.with = jid.toString();
      return undefined;
    }
    case 'start':
    case 'end': {
      const at = XEP82.test(one) ? new Date(one) : undefined;
      if (!at || Number.isNaN(at.getTime())) return bad(`${name} is not a XEP-0082 date-time: ${one}`);
      filter[name] = at;
      return undefined;
    }
    case 'after-id':
      filter.afterId = one;
      return undefined;
    case 'before-id':
      filter.beforeId = one;
      return undefined;
    default:
      return unknown(name);
  }
}

const FIELDS = new Set(['with', 'start', 'end', 'after-id', 'before-id']);
const known = (name: string | undefined) => (name !== undefined && FIELDS.has(name) ? undefined : unknown(name));

/** §4.1.5: a field the server does not know is feature-not-implemented; a field without a name is malformed. */
const unknown = (name: string | undefined) =>
  name === undefined ? bad('a form field without var') : new StanzaError('feature-not-implemented', { text: `unknown field ${name}` });

/** XEP-0059 §2: `<max/>` (cut to the server cap), `<after/>`, `<before/>` (empty = the last page). */
function readSet(set: Element | undefined, limits: PageLimits): ArchivePaging | StanzaError {
  if (!set) return { max: limits.defaultPageSize };
  if (set.getChild('index', NS.rsm)) return new StanzaError('feature-not-implemented', { text: 'RSM <index/> is not supported; page with after/before' });
  const maxText = set.getChildText('max', NS.rsm);
  let max = limits.defaultPageSize;
  if (maxText !== undefined) {
    if (!/^\d{1,9}$/.test(maxText.trim())) return bad('RSM max is not a non-negative integer');
    max = Math.min(Number(maxText.trim()), limits.maxPageSize);
  }
  const paging: ArchivePaging = { max };
  const after = set.getChild('after', NS.rsm);
  const before = set.getChild('before', NS.rsm);
  if (after && before) return bad('RSM after and before together');
  if (after) {
    const id = after.text().trim();
    if (!id) return bad('RSM after is empty');
    paging.after = id;
  }
  if (before) paging.before = before.text().trim() || true;
  return paging;
}
