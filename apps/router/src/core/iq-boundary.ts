import { directoryDownError } from '#libs/directory';
import { StanzaError } from '#libs/stanza';
import type { IqWhere } from '#libs/xmpp-kit';
import type { RouterContext } from '../router.context.js';
import type { RoutedStanza } from './routed-stanza.js';

/**
 * Answers an IQ the addressing table gave to the router (to a local domain, or on behalf of an
 * account) through the one IQ dispatcher (libs/xmpp-kit, STYLE.md §4). Replies come from the
 * address the IQ was sent to (none when it had no `to`: RFC 6120 §8.1.2.1).
 */
export async function dispatchIq(st: RoutedStanza, ctx: RouterContext, where: IqWhere): Promise<void> {
  const toServer = where === 'server';
  const own = !toServer && st.to.equals(st.from.bare());
  // RFC 6121 §8.5.1: no such account; the sender's own always exists.
  // A directory user who never signed in is provisioned by userExists; their directory down → wait.
  if (!toServer && !own) {
    const exists = await ctx.userExists(st.to.toString());
    if (exists === 'unknown') return ctx.bounce(st, directoryDownError());
    if (!exists) return ctx.bounce(st, new StanzaError('service-unavailable'));
  }
  const iq = st.element();
  await ctx.iq.dispatch(
    iq,
    where,
    (payload) => ({ stanza: st, iq, payload, from: st.from, to: st.to, toServer, own }),
    (reply) => ctx.reply(st, reply),
  );
}
