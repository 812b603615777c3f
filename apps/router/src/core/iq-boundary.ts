import { StanzaError, errorReply, iqResult } from '#libs/stanza';
import type { RouterContext } from '../router.context.js';
import type { RoutedStanza } from './routed-stanza.js';

/**
 * Answers a server-handled IQ (to the domain or on behalf of an account) through the IQ dispatcher.
 * Protocol errors are values; an exception becomes internal-server-error (STYLE.md §4). Replies come
 * from the address the IQ was sent to (none when it had no `to`: RFC 6120 §8.1.2.1).
 */
export async function dispatchIq(st: RoutedStanza, ctx: RouterContext, toServer: boolean): Promise<void> {
  if (st.type === 'result' || st.type === 'error') return; // answers to the server's own IQs: none pending
  const iq = st.element();
  const children = iq.elements();
  if ((st.type !== 'get' && st.type !== 'set') || children.length !== 1) {
    return replyError(st, ctx, new StanzaError('bad-request')); // RFC 6120 §8.2.3
  }
  const payload = children[0]!;
  const handler = ctx.iq.find(st.type, payload.xmlns, toServer);
  if (!handler) return replyError(st, ctx, new StanzaError('service-unavailable'));
  const own = !toServer && st.to.equals(st.from.bare());
  let answer;
  try {
    answer = await handler({ stanza: st, iq, payload, from: st.from, to: st.to, toServer, own });
  } catch (err) {
    if (err instanceof StanzaError) answer = err;
    else {
      ctx.logger.error({ err, stanzaId: st.env.id, ns: payload.xmlns }, 'iq handler failed');
      answer = new StanzaError('internal-server-error');
    }
  }
  if (answer instanceof StanzaError) return replyError(st, ctx, answer);
  await ctx.reply(st, iqResult(iq, answer));
}

async function replyError(st: RoutedStanza, ctx: RouterContext, err: StanzaError): Promise<void> {
  const reply = errorReply(st.element(), err);
  if (reply) await ctx.reply(st, reply);
}
