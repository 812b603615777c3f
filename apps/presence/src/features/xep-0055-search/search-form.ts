import { FormError, NS, StanzaError, dataForm, readSubmittedForm, type FormDefinition } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';

export const SEARCH_NS = NS.search;

/** XEP-0055 §2.1: the fields of the historical, form-less protocol (the schema allows no others). */
const LEGACY = ['first', 'last', 'nick', 'email'] as const;

const LABELS: Record<string, string> = {
  user: 'Username',
  first: 'Given name',
  last: 'Family name',
  nick: 'Nickname',
  email: 'Email address',
  fn: 'Full name',
};

/** One hit: the account's bare JID and the values of the form's fields. */
export interface SearchHit {
  jid: string;
  fields: Record<string, string>;
}

/** What was asked, and in which dialect the answer must come back. */
export interface SearchRequest {
  fields: Record<string, string>;
  dialect: 'form' | 'legacy';
}

const formOf = (fields: string[], instructions: string): FormDefinition => ({
  formType: SEARCH_NS,
  title: 'User directory search',
  instructions,
  fields: fields.map((f) => ({ var: f, type: 'text-single', label: LABELS[f] ?? f })),
});

/**
 * XEP-0055 §2.1 and §3: the answer to a get: instructions, the legacy fields this service can
 * search, and a XEP-0004 form (FORM_TYPE jabber:iq:search) with every field.
 */
export function searchForm(fields: string[]): Element {
  const instructions = 'Fill in one or more fields; each matches where the text appears. Every field filled in must match.';
  return xml(
    'query',
    { xmlns: SEARCH_NS },
    xml('instructions', {}, instructions),
    ...LEGACY.filter((f) => fields.includes(f)).map((f) => xml(f)),
    dataForm('form', formOf(fields, instructions)),
  );
}

/**
 * Reads a set: a submitted form (§3) or legacy children (§2.1). Bad input is a value: an unknown
 * field, a form that is not a submission of this FORM_TYPE, a field with several values, nothing to
 * search for → bad-request; a text longer than `maxChars` → not-acceptable.
 */
export function readSearch(query: Element, fields: string[], maxChars: number): SearchRequest | StanzaError {
  const x = query.getChild('x', NS.xdata);
  const dialect = x ? 'form' : 'legacy';
  const got: Record<string, string> = {};
  if (x) {
    for (const f of x.getChildren('field')) {
      const name = f.attrs.var;
      if (name && name !== 'FORM_TYPE' && !fields.includes(name)) return bad(`unknown search field "${name}" (this service searches ${fields.join(', ')})`);
    }
    let values;
    try {
      values = readSubmittedForm(x, formOf(fields, ''));
    } catch (err) {
      if (err instanceof FormError) return bad(err.message);
      throw err;
    }
    for (const [name, v] of values) got[name] = v[0]!;
  } else {
    for (const child of query.elements()) {
      // Clients that fill in the query they got echo its <instructions/>; XEP-0059 §1: a <set/> the
      // service does not support (it advertises no RSM) is ignored.
      if ((child.name === 'instructions' && child.attrs.xmlns === undefined) || child.is('set', NS.rsm)) continue;
      if (child.attrs.xmlns !== undefined && child.attrs.xmlns !== SEARCH_NS)
        return bad(`unexpected <${child.name} xmlns='${child.attrs.xmlns}'/> in a search`);
      if (!(LEGACY as readonly string[]).includes(child.name) || !fields.includes(child.name)) return bad(`unknown search field <${child.name}/>`);
      if (child.elements().length > 0) return bad(`<${child.name}/> holds text only`);
      got[child.name] = child.text();
    }
  }
  const filled: Record<string, string> = {};
  for (const [name, v] of Object.entries(got)) {
    const text = v.trim();
    if (text.length > maxChars) return new StanzaError('not-acceptable', { type: 'modify', text: `field "${name}" is longer than ${maxChars} characters` });
    if (text) filled[name] = text;
  }
  if (Object.keys(filled).length === 0) return bad(`fill in at least one field (${fields.join(', ')})`);
  return { fields: filled, dialect };
}

/** The answer to a set, in the dialect asked: a result form with a reported jid column (§3), or legacy items (§2.1). */
export function searchResult(req: SearchRequest, fields: string[], hits: SearchHit[], truncated: number | undefined): Element {
  if (req.dialect === 'legacy') {
    return xml(
      'query',
      { xmlns: SEARCH_NS },
      ...hits.map((h) =>
        xml(
          'item',
          { jid: h.jid },
          LEGACY.filter((f) => fields.includes(f)).map((f) => xml(f, {}, h.fields[f] ?? '')),
        ),
      ),
    );
  }
  const x = dataForm('result', {
    formType: SEARCH_NS,
    title: 'User directory search',
    // A result form may carry instructions (XEP-0004 §3.1); the only place to say the list was cut.
    ...(truncated !== undefined ? { instructions: `Only the first ${truncated} matches are shown; narrow the search to see others.` } : {}),
    fields: [],
  });
  x.append(
    xml(
      'reported',
      {},
      xml('field', { var: 'jid', label: 'JID', type: 'jid-single' }),
      ...fields.map((f) => xml('field', { var: f, label: LABELS[f] ?? f, type: 'text-single' })),
    ),
  );
  for (const h of hits) {
    x.append(
      xml(
        'item',
        {},
        xml('field', { var: 'jid' }, xml('value', {}, h.jid)),
        ...fields.map((f) => xml('field', { var: f }, xml('value', {}, h.fields[f] ?? ''))),
      ),
    );
  }
  return xml('query', { xmlns: SEARCH_NS }, x);
}

const bad = (text: string): StanzaError => new StanzaError('bad-request', { type: 'modify', text });
