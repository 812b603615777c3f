import { NS } from '#libs/stanza';
import type { ArchiveBounds, ArchivedMessage, ArchivePage } from '#libs/storage';
import { xml, type Element } from '#libs/xml';

/**
 * One result (XEP-0313 §4.2): `<message from=archive to=requester><result queryid id>
 * <forwarded xmlns='urn:xmpp:forward:0'><delay stamp/>the archived stanza</forwarded></result></message>`.
 */
export function resultMessage(archive: string, to: string, queryId: string | undefined, m: ArchivedMessage, stanza: Element): Element {
  // XEP-0297 §3: the forwarded stanza keeps its own namespace; without it it would inherit
  // urn:xmpp:forward:0 and clients would not see a message (stored XML may omit the stream default)
  stanza.attrs.xmlns ??= NS.client;
  return xml(
    'message',
    { from: archive, to },
    xml(
      'result',
      { xmlns: NS.mam, id: m.id, ...(queryId !== undefined ? { queryid: queryId } : {}) },
      xml('forwarded', { xmlns: NS.forward }, xml('delay', { xmlns: NS.delay, stamp: m.timestamp.toISOString() }), stanza),
    ),
  );
}

/**
 * The `<fin/>` of the IQ result (§4.3): `complete` when the page reached the end of the set in the
 * direction paged, and the XEP-0059 `<set/>` with first/last of the page as sent and the count.
 */
export function finElement(page: ArchivePage, sent: ArchivedMessage[]): Element {
  const set = xml('set', { xmlns: NS.rsm });
  if (sent.length > 0) {
    set.append(xml('first', {}, sent[0]!.id));
    set.append(xml('last', {}, sent[sent.length - 1]!.id));
  }
  set.append(xml('count', {}, String(page.count)));
  return xml('fin', { xmlns: NS.mam, ...(page.complete ? { complete: 'true' } : {}) }, set);
}

/** §4.1 form discovery: an IQ get with `<query/>` returns the fields this server takes. */
export function queryFieldsForm(): Element {
  const field = (v: string, type: string) => xml('field', { var: v, type });
  return xml(
    'query',
    { xmlns: NS.mam },
    xml(
      'x',
      { xmlns: NS.xdata, type: 'form' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS.mam)),
      field('with', 'jid-single'),
      field('start', 'text-single'),
      field('end', 'text-single'),
      field('after-id', 'text-single'),
      field('before-id', 'text-single'),
      field('ids', 'text-multi'),
    ),
  );
}

/** Archive metadata (XEP-0313 v1.1, `urn:xmpp:mam:2#extended`): the first and last record. */
export function metadataElement(b: ArchiveBounds): Element {
  const el = xml('metadata', { xmlns: NS.mam });
  if (b.first) el.append(xml('start', { id: b.first.id, timestamp: b.first.timestamp.toISOString() }));
  if (b.last) el.append(xml('end', { id: b.last.id, timestamp: b.last.timestamp.toISOString() }));
  return el;
}
