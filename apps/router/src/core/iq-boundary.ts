import { Element } from '#libs/xml';
import type { RouterContext } from '../router.context.js';
import { ProtocolError, fail } from './protocol-error.js';
import { errorReplyOf, iqResultOf } from './replies.js';
import type { RoutedStanza } from './routed-stanza.js';

/**
 * Answers a server-handled IQ (to the domain or on behalf of an account) through the IQ dispatcher.
 * Protocol errors are values; an exception becomes internal-server-error (STYLE.md §4).
 */
export async function dispatchIq(st: RoutedStanza, ctx: RouterContext, toServer: boolean): Promise<void> {
  if (st.type === 'result' || st.type === 'error') return; // answers to the server's own IQs: none pending
  const iq = st.element();
  const from = st.env.to ? st.to.toString() : undefined;
  const children = iq.elements();
  if ((st.type !== 'get' && st.type !== 'set') || children.length !== 1) {
    await replyError(st, ctx, fail('bad-request'), from); // RFC 6120 §8.2.3
    return;
  }
  const payload = children[0]!;
  const handler = ctx.iq.find(st.type, payload.xmlns, toServer);
  if (!handler) {
    await replyError(st, ctx, fail('service-unavailable'), from);
    return;
  }
  const own = !toServer && st.to.equals(st.from.bare());
  let answer;
  try {
    answer = await handler({ stanza: st, iq, payload, from: st.from, to: st.to, toServer, own });
  } catch (err) {
    ctx.logger.error({ err, stanzaId: st.env.id, ns: payload.xmlns }, 'iq handler failed');
    answer = fail('internal-server-error');
  }
  if (answer instanceof ProtocolError) {
    await replyError(st, ctx, answer, from);
    return;
  }
  const payloads = answer === undefined ? [] : Array.isArray(answer) ? answer : [answer];
  await ctx.reply(st, iqResultOf(iq, from, payloads as Element[]));
}

async function replyError(st: RoutedStanza, ctx: RouterContext, err: ProtocolError, from: string | undefined): Promise<void> {
  const reply = errorReplyOf(st.element(), err, from);
  if (reply) await ctx.reply(st, reply);
}
