import { tryParseJid } from '#libs/jid';
import { NS, StanzaError } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import type { MediaContext, MediaIqRequest } from '../../media-relay.context.js';
import { Socks5Proxy, type ActivationOutcome } from './socks5-proxy.js';
import { registerSocks5Metrics } from './socks5.metrics.js';
import { streamHash } from './stream-hash.js';

/** XEP-0030 identity of the proxy (XEP-0065 §4, Registrar: category proxy, type bytestreams). */
const IDENTITY = { category: 'proxy', type: 'bytestreams', name: 'SOCKS5 Bytestreams Service' };

/**
 * XEP-0065 (SOCKS5 Bytestreams) 1.8.2, the proxy side, on `proxy.<domain>`: disco#info with the
 * proxy identity (§4), the streamhost query (§4: network address), activation (§6.3.5), and the
 * SOCKS5 listener that pairs and relays the two connections of a stream (§6.3.2, §6.3.4).
 * Off (`media.socks5.enabled: false`): nothing is listened on, declared or advertised.
 */
export const socks5Feature: FeatureDefinition<MediaContext> = {
  name: 'socks5',
  spec: { xep: 65, version: '1.8.2' },
  setup: async (ctx) => {
    const cfg = ctx.config.media.socks5;
    if (!cfg.enabled) return [];
    const log = ctx.logger.child({ feature: 'xep-0065-socks5' });
    const proxy = new Socks5Proxy(cfg, {
      bus: ctx.bus,
      instance: ctx.instanceId,
      heartbeatMs: ctx.config.bus.heartbeatMs,
      requestTimeoutMs: ctx.config.bus.requestTimeoutMs,
      log,
    });
    await proxy.start();
    const unregisterMetrics = registerSocks5Metrics(proxy);
    const component = ctx.components.add({ label: 'proxy', identity: IDENTITY, discoFeatures: [NS.bytestreams] });
    const local = (req: MediaIqRequest) => ctx.config.domains.includes(req.from.domain);

    /** §4: "the Requester ... request[s] the full network address used for bytestreaming". */
    const address = (req: MediaIqRequest): Element | StanzaError => {
      if (!local(req)) return new StanzaError('forbidden', { text: 'the proxy serves accounts of this server only' });
      const host = cfg.publicHost || ctx.config.media.publicHost || (isSpecific(cfg.host) ? cfg.host : req.domain);
      const port = cfg.publicPort || proxy.port;
      return xml('query', { xmlns: NS.bytestreams }, xml('streamhost', { jid: req.to.toString(), host, port: String(port) }));
    };

    /** §6.3.5: the Requester asks the proxy to activate the stream SHA1(SID + its JID + Target JID). */
    const activate = async (req: MediaIqRequest): Promise<undefined | StanzaError> => {
      const sid = req.payload.attrs.sid;
      const el = req.payload.getChild('activate', NS.bytestreams);
      if (!el) return new StanzaError('bad-request', { text: 'a bytestreams set to the proxy carries <activate/> (XEP-0065 §6.3.5)' });
      if (!sid) return new StanzaError('bad-request', { text: 'the query has no sid' });
      const target = tryParseJid(el.text().trim());
      if (!target) return new StanzaError('jid-malformed', { text: '<activate/> holds no valid Target JID' });
      if (!local(req)) return new StanzaError('forbidden', { text: 'the proxy serves accounts of this server only' });
      const outcome = await proxy.activate(streamHash(sid, req.from.toString(), target.toString()), req.from.bare().toString());
      return ACTIVATION_ERRORS[outcome]?.();
    };

    return [
      component.iq.register('get', NS.bytestreams, address, { server: true }, 'socks5'),
      component.iq.register('set', NS.bytestreams, activate, { server: true }, 'socks5'),
      component.remove,
      unregisterMetrics,
      () => void proxy.close().catch((err: unknown) => log.warn({ err: String(err) }, 'socks5 proxy did not close cleanly')),
    ];
  },
};

/** §6.3.5's conditions; a per-user limit is RFC 6120 §8.3.3.18 resource-constraint. */
const ACTIVATION_ERRORS: Record<ActivationOutcome, (() => StanzaError) | undefined> = {
  activated: undefined,
  unknown: () => new StanzaError('item-not-found', { text: 'no connection for this stream: wrong sid, target, or not the Requester' }),
  'one-side': () => new StanzaError('not-allowed', { text: 'only one party is connected to the proxy' }),
  'already-active': () => new StanzaError('not-allowed', { text: 'the stream is already activated' }),
  'user-limit': () => new StanzaError('resource-constraint', { text: 'too many transfers running (media.socks5.maxTransfersPerUser)' }),
  unreachable: () => new StanzaError('internal-server-error', { text: 'the proxy replica holding the stream did not answer' }),
};

const isSpecific = (host: string) => host !== '' && host !== '0.0.0.0' && host !== '::';
