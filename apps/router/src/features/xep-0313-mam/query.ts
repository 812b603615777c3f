import { finElement, metadataElement, parseArchiveQuery, queryFieldsForm, resultMessage } from '#libs/archive';
import type { ArchiveConfig } from '#libs/config';
import { StanzaError } from '#libs/stanza';
import { ArchiveItemNotFoundError, type ArchivedMessage } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';
import type { QueryRateLimit } from './rate-limit.js';

/**
 * XEP-0313 §4: an IQ set `<query/>` on one's own archive. Each result is sent as its own message
 * before the IQ result that carries `<fin/>` (the dispatcher sends what a handler awaited first).
 */
export async function queryArchive(ctx: RouterContext, cfg: ArchiveConfig, limit: QueryRateLimit, req: IqRequest): Promise<Element | StanzaError> {
  if (req.payload.name !== 'query') return new StanzaError('bad-request', { text: 'expected <query/>' });
  const owner = req.from.bare().toString();
  // §4.2: past the configured rate → policy-violation, the error the XEP names for a limited query
  if (!limit.take(owner)) return new StanzaError('policy-violation', { type: 'wait', text: `at most ${cfg.maxQueriesPerMinute} archive queries a minute` });
  const q = parseArchiveQuery(req.payload, cfg);
  if (q instanceof StanzaError) return q;
  let page;
  try {
    page = await ctx.storage.archive.query(owner, q.filter, q.paging);
  } catch (err) {
    if (err instanceof ArchiveItemNotFoundError) return new StanzaError('item-not-found', { text: err.message });
    throw err;
  }
  const sent: ArchivedMessage[] = q.flip ? [...page.messages].reverse() : page.messages;
  const to = req.from.toString();
  for (const m of sent) {
    let stanza: Element;
    try {
      stanza = ctx.parseXml(m.xml);
    } catch (err) {
      ctx.logger.warn({ owner, id: m.id, err: (err as Error).message }, 'unreadable archived message skipped');
      continue;
    }
    await ctx.reply(req.stanza, resultMessage(owner, to, q.queryId, m, stanza));
  }
  return finElement(page, sent);
}

/** §4.1: IQ get `<query/>` lists the form fields; `<metadata/>` (#extended) the archive's bounds. */
export async function describeArchive(ctx: RouterContext, req: IqRequest): Promise<Element | StanzaError> {
  if (req.payload.name === 'query') return queryFieldsForm();
  if (req.payload.name === 'metadata') return metadataElement(await ctx.storage.archive.bounds(req.from.bare().toString()));
  return new StanzaError('bad-request', { text: 'expected <query/> or <metadata/>' });
}
