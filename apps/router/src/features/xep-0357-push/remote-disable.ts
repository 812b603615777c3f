import { tryParseJid } from '#libs/jid';
import { NS } from '#libs/stanza';
import type { HookResult } from '#libs/xmpp-kit';
import type { RoutedStanza } from '../../core/routed-stanza.js';
import type { RouterContext } from '../../router.context.js';

/**
 * §8 Remote Disabling: a push service that stops accepting notifications may tell the account, by
 * a message to its bare JID carrying `<pubsub node><affiliation jid='<account>' affiliation='none'/>`.
 * When the sender and node are a registration of the account, the registration goes and the
 * message is taken (it is for the server; no client understands it). Anything else goes on as any
 * message. Only normal messages to a bare JID are looked into (the payload is parsed for them only).
 */
export async function remoteDisable(ctx: RouterContext, st: RoutedStanza): Promise<HookResult> {
  if (st.name !== 'message' || (st.type !== '' && st.type !== 'normal')) return 'continue';
  if (st.to.resource || !st.to.local || !ctx.config.domains.includes(st.to.domain)) return 'continue';
  const pubsub = st.element().getChild('pubsub', NS.pubsub);
  const node = pubsub?.attrs.node;
  const affiliation = pubsub?.getChild('affiliation');
  if (!node || !affiliation || affiliation.attrs.affiliation !== 'none') return 'continue';
  const owner = st.to.bare();
  if (
    !tryParseJid(affiliation.attrs.jid ?? '')
      ?.bare()
      .equals(owner)
  )
    return 'continue';
  const account = owner.toString();
  let removed = await ctx.storage.push.disable(account, st.from.toString(), node);
  if (removed === 0 && st.from.resource) removed = await ctx.storage.push.disable(account, st.from.bare().toString(), node);
  if (removed === 0) return 'continue';
  ctx.logger.info({ jid: account, service: st.from.toString(), node }, 'push registration disabled by its push service (XEP-0357 §8)');
  return 'stop';
}
