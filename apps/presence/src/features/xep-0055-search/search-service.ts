import { DirectoryRefusedError, DirectoryUnavailableError } from '#libs/directory';
import { NS, StanzaError, errorReply } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import { IqDispatcher, type IqAnswer, type Registration } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import type { SearchConfig } from './index.js';
import type { SearchBackend } from './search-backends.js';
import { SEARCH_NS, readSearch, searchForm, searchResult } from './search-form.js';

interface Request {
  stanza: PresenceStanza;
  payload: Element;
}

/**
 * One search host (`search.<domain>`): XEP-0030 disco#info (identity directory/user, feature
 * jabber:iq:search) and #items (none), XEP-0055 get (the form) and set (the search).
 *
 * A search may wait on the directory (up to its acquire and operation timeouts): it runs beside
 * the partition, not in it, so presence of the accounts sharing that partition never waits behind
 * LDAP. At most `maxConcurrent` run at once per process; more get resource-constraint.
 */
/** Searches running now in this process, across its search hosts (bounded by `maxConcurrent`). */
export interface SearchSlots {
  running: number;
}

export function serveSearch(ctx: PresenceContext, host: string, domain: string, backend: SearchBackend, cfg: SearchConfig, slots: SearchSlots): Registration {
  const iq = new IqDispatcher<Request>(ctx.logger);
  iq.register('get', NS.discoInfo, (r) => discoInfo(r.payload), { server: true }, 'search');
  iq.register(
    'get',
    NS.discoItems,
    (r) => (r.payload.attrs.node ? new StanzaError('item-not-found') : xml('query', { xmlns: NS.discoItems })),
    { server: true },
    'search',
  );
  iq.register('get', SEARCH_NS, () => searchForm(backend.fields), { server: true }, 'search');
  iq.register('set', SEARCH_NS, (r) => search(r.payload), { server: true }, 'search');

  async function search(query: Element): Promise<IqAnswer> {
    const req = readSearch(query, backend.fields, cfg.maxFieldChars);
    if (req instanceof StanzaError) return req;
    try {
      const { hits, truncated } = await backend.search(req.fields, cfg.maxResults);
      return searchResult(req, backend.fields, hits, truncated ? cfg.maxResults : undefined);
    } catch (err) {
      // RFC 6120 §8.3.3.17: a service needed to fulfil the request could not be reached in time.
      if (err instanceof DirectoryUnavailableError) {
        ctx.logger.warn({ domain, err: err.message }, 'search: the directory cannot be reached');
        return new StanzaError('remote-server-timeout', { text: 'the company directory cannot be reached; try again later' });
      }
      if (err instanceof DirectoryRefusedError) {
        ctx.logger.warn({ domain, err: err.message }, 'search: the directory refused the search');
        return new StanzaError('service-unavailable', { text: 'the company directory refused the search' });
      }
      throw err;
    }
  }

  return ctx.serveDomain(host, async (st) => {
    if (st.env.kind !== 'IQ') return; // messages and presence to the directory: nothing to do
    const el = st.element();
    const type = el.attrs.type;
    if (type === 'result' || type === 'error') return;
    const send = (reply: Element) => ctx.reply(st, reply);
    const refuse = async (err: StanzaError) => {
      const bounce = errorReply(el, err);
      if (bounce) await send(bounce);
    };
    // RFC 6120 §8.4: nobody lives at user@search.<domain>.
    if (st.to && (st.to.local || st.to.resource)) return refuse(new StanzaError('service-unavailable'));
    // The directory lists the domain's people to the domain's own users, not to the federation.
    if (st.from.domain !== domain) return refuse(new StanzaError('forbidden', { text: `only users of ${domain} may search its directory` }));
    if (slots.running >= cfg.maxConcurrent) return refuse(new StanzaError('resource-constraint', { text: 'too many searches at once; try again' }));
    slots.running++;
    void iq
      .dispatch(el, 'server', (payload) => ({ stanza: st, payload }), send)
      .catch((err: unknown) => ctx.logger.error({ err, host }, 'search: answer not sent'))
      .finally(() => slots.running--);
  });
}

/** XEP-0030 §3.1 for the search host; XEP-0055 is advertised here only, where it is answered. */
function discoInfo(payload: Element): IqAnswer {
  if (payload.attrs.node) return new StanzaError('item-not-found');
  return xml(
    'query',
    { xmlns: NS.discoInfo },
    xml('identity', { category: 'directory', type: 'user', name: 'User directory' }),
    ...[NS.discoInfo, NS.discoItems, SEARCH_NS, NS.xdata].map((f) => xml('feature', { var: f })),
  );
}
