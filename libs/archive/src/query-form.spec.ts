import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { parseArchiveQuery, type ArchiveQuery } from './query-form.js';
import { finElement, metadataElement, resultMessage } from './query-result.js';

const MAM = 'urn:xmpp:mam:2';
const limits = { defaultPageSize: 50, maxPageSize: 100 };
const field = (v: string, ...values: string[]) => xml('field', { var: v }, ...values.map((x) => xml('value', {}, x)));
const query = (fields: Element[], set?: Element, ...extra: Element[]) =>
  xml('query', { xmlns: MAM, queryid: 'q1' }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', MAM), ...fields), set, ...extra);
const rsm = (...children: Element[]) => xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, ...children);
const ok = (el: Element): ArchiveQuery => {
  const q = parseArchiveQuery(el, limits);
  assert.ok(!(q instanceof StanzaError), q instanceof StanzaError ? q.message : '');
  return q;
};
const refused = (el: Element) => {
  const q = parseArchiveQuery(el, limits);
  assert.ok(q instanceof StanzaError, 'expected an error');
  return q.condition;
};

describe('XEP-0313 query form and XEP-0059 set', () => {
  it('reads every field, the query id and flip-page; a bare query pages the default size forward', () => {
    const q = ok(
      query(
        [
          field('with', 'Juliet@Capulet.lit/balcony'),
          field('start', '2010-06-07T00:00:00Z'),
          field('end', '2010-07-07T13:23:54.5+02:00'),
          field('after-id', 'A'),
          field('before-id', 'B'),
          field('ids', 'x', 'y'),
        ],
        rsm(xml('max', {}, '10'), xml('before')),
        xml('flip-page'),
      ),
    );
    assert.equal(q.queryId, 'q1');
    assert.equal(q.filter.with, 'juliet@capulet.lit/balcony');
    assert.equal(q.filter.start?.toISOString(), '2010-06-07T00:00:00.000Z');
    assert.equal(q.filter.end?.toISOString(), '2010-07-07T11:23:54.500Z');
    assert.deepEqual([q.filter.afterId, q.filter.beforeId, q.filter.ids], ['A', 'B', ['x', 'y']]);
    assert.deepEqual(q.paging, { max: 10, before: true });
    assert.equal(q.flip, true);
    assert.deepEqual(ok(xml('query', { xmlns: MAM })), { filter: {}, paging: { max: 50 }, flip: false });
  });

  it('cuts max to the server cap, keeps max 0, reads after and a before id; empty fields are unused', () => {
    assert.deepEqual(ok(query([], rsm(xml('max', {}, '5000')))).paging, { max: 100 });
    assert.deepEqual(ok(query([], rsm(xml('max', {}, '0'), xml('after', {}, 'X')))).paging, { max: 0, after: 'X' });
    assert.deepEqual(ok(query([], rsm(xml('before', {}, 'Y')))).paging, { max: 50, before: 'Y' });
    assert.deepEqual(ok(query([field('with'), field('start', '')])).filter, {});
  });

  it('refuses malformed forms and sets with bad-request, RSM index with feature-not-implemented', () => {
    assert.equal(refused(query([field('with', 'not a@jid@x')])), 'bad-request');
    assert.equal(refused(query([field('start', 'yesterday')])), 'bad-request');
    assert.equal(refused(query([field('start', '2010-06-07')])), 'bad-request');
    assert.equal(refused(query([field('start', '2011-01-01T00:00:00Z'), field('end', '2010-01-01T00:00:00Z')])), 'bad-request');
    assert.equal(refused(query([field('colour', 'red')])), 'feature-not-implemented', '§4.1.5: a field the server does not recognise');
    assert.equal(refused(query([field('include-groupchat', '')])), 'feature-not-implemented', 'not advertised, so not accepted empty either');
    assert.equal(refused(query([xml('field', {}, xml('value', {}, 'x'))])), 'bad-request', 'a field without var');
    assert.equal(refused(query([field('with', 'a@b', 'c@d')])), 'bad-request');
    assert.equal(
      refused(xml('query', { xmlns: MAM }, xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, field('FORM_TYPE', 'urn:xmpp:mam:1')))),
      'bad-request',
    );
    assert.equal(refused(xml('query', { xmlns: MAM }, xml('x', { xmlns: 'jabber:x:data', type: 'form' }))), 'bad-request');
    assert.equal(refused(query([field('ids', ...Array.from({ length: 101 }, (_, i) => `id${i}`))])), 'bad-request');
    assert.equal(refused(query([], rsm(xml('max', {}, '-1')))), 'bad-request');
    assert.equal(refused(query([], rsm(xml('max', {}, 'ten')))), 'bad-request');
    assert.equal(refused(query([], rsm(xml('after', {}, 'a'), xml('before', {}, 'b')))), 'bad-request');
    assert.equal(refused(query([], rsm(xml('after')))), 'bad-request');
    assert.equal(refused(query([], rsm(xml('index', {}, '3')))), 'feature-not-implemented');
  });
});

describe('XEP-0313 results', () => {
  const m = {
    owner: 'romeo@montague.lit',
    id: '01ABC',
    with: 'juliet@capulet.lit/x',
    timestamp: new Date('2010-07-10T23:08:25Z'),
    direction: 'in' as const,
    xml: '',
  };

  it('wraps an archived stanza in result/forwarded/delay with the query id', () => {
    const el = resultMessage('romeo@montague.lit', 'romeo@montague.lit/orchard', 'q1', m, xml('message', {}, xml('body', {}, 'hi')));
    assert.deepEqual([el.attrs.from, el.attrs.to], ['romeo@montague.lit', 'romeo@montague.lit/orchard']);
    const result = el.getChild('result', MAM)!;
    assert.deepEqual([result.attrs.queryid, result.attrs.id], ['q1', '01ABC']);
    const fwd = result.getChild('forwarded', 'urn:xmpp:forward:0')!;
    assert.equal(fwd.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp, '2010-07-10T23:08:25.000Z');
    assert.equal(fwd.getChild('message')?.getChildText('body'), 'hi');
    assert.equal(fwd.getChild('message')?.attrs.xmlns, 'jabber:client', 'XEP-0297: not inheriting the forward namespace');
  });

  it('builds fin with complete, first/last as sent and the count; an empty page has only the count', () => {
    const fin = finElement({ messages: [m, { ...m, id: '01ABD' }], count: 7, complete: true }, [m, { ...m, id: '01ABD' }]);
    assert.equal(fin.attrs.complete, 'true');
    const set = fin.getChild('set', 'http://jabber.org/protocol/rsm')!;
    assert.deepEqual(
      ['first', 'last', 'count'].map((n) => set.getChildText(n)),
      ['01ABC', '01ABD', '7'],
    );
    const empty = finElement({ messages: [], count: 0, complete: false }, []);
    assert.equal(empty.attrs.complete, undefined);
    assert.equal(empty.getChild('set')?.getChild('first'), undefined);
  });

  it('metadata gives start and end, or nothing for an empty archive', () => {
    const el = metadataElement({ first: { id: 'A', timestamp: new Date(0) }, last: { id: 'B', timestamp: new Date(1000) } });
    assert.deepEqual([el.getChild('start')?.attrs.id, el.getChild('end')?.attrs.timestamp], ['A', '1970-01-01T00:00:01.000Z']);
    assert.equal(metadataElement({}).elements().length, 0);
  });
});
