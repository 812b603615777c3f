import { encodeFrame, envelopeOf, partitionOf, requestRetrying, decodeAck, subjects } from '#libs/bus';
import { closeSessionsOf } from '#libs/sessions';
import { StanzaError } from '#libs/stanza';
import { deleteAccountAndData, type RosterItem } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';

/**
 * XEP-0077 §3.2, the user cancels their registration with their home server:
 *  1. as an RFC 6121 server SHOULD, every presence subscription in the roster is cancelled: `unsubscribe` where the user had the
 *     contact's presence (or asked for it), `unsubscribed` where the contact had theirs (or asked),
 *     sent as the user's own outbound presence through the presence service, so contacts' rosters
 *     change and they get unavailable presence (RFC 6121 §3.2.2, §3.3.2);
 *  2. the account and its data go (deleteAccountAndData: the record first, then roster, offline,
 *     vCard, private XML, last activity);
 *  3. the IQ result is answered, then every session of the account ends with the stream error
 *     <not-authorized/> (XEP-0077 §3.2; RFC 6120 §4.9.3.18).
 */
export async function removeAccount(ctx: RouterContext, req: IqRequest, account: { username: string; domain: string }): Promise<undefined | StanzaError> {
  const bare = `${account.username}@${account.domain}`;
  if (!(await ctx.storage.accounts.get(account.username, account.domain))) return new StanzaError('registration-required');
  const roster = await ctx.storage.rosters.get(bare);
  let cancelled = 0;
  for (const item of roster.items) {
    for (const type of cancellations(item)) {
      await toPresence(ctx, req, xml('presence', { from: req.from.toString(), to: item.jid, type }));
      cancelled++;
    }
  }
  if (!(await deleteAccountAndData(ctx.storage, account.username, account.domain))) return new StanzaError('registration-required');
  // The dispatcher sends the IQ result when this handler returns, on the same bus connection; the
  // close goes once that send is done (after this turn's microtasks), so the client reads the result
  // before the stream error.
  setImmediate(() => {
    closeSessionsOf(ctx.bus, ctx.registry, bare, 'not-authorized', 'account removed').catch((err: Error) =>
      ctx.logger.warn({ err: err.message, jid: bare }, 'could not close the sessions of a removed account'),
    );
  });
  ctx.logger.info({ jid: bare, subscriptionsCancelled: cancelled }, 'account removed in band (XEP-0077)');
  return undefined;
}

/** The subscription stanzas that end what `item` holds (RFC 6121 Appendix A.2). */
export function cancellations(item: RosterItem): Array<'unsubscribe' | 'unsubscribed'> {
  const out: Array<'unsubscribe' | 'unsubscribed'> = [];
  if (item.subscription === 'to' || item.subscription === 'both' || item.askOut) out.push('unsubscribe');
  if (item.subscription === 'from' || item.subscription === 'both' || item.askIn) out.push('unsubscribed');
  return out;
}

/**
 * Hands a presence stanza of the user's session to the presence service of the user's partition,
 * as the router does with what a session sends, and waits until it is handled.
 */
async function toPresence(ctx: RouterContext, req: IqRequest, el: Element): Promise<void> {
  const origin = req.stanza.env.origin;
  const frame = encodeFrame({ stanza: envelopeOf(el, origin ? { origin } : {}) });
  const subject = subjects.presenceIn(partitionOf(req.from.bare().toString(), ctx.config.bus.partitions));
  const ack = decodeAck(await requestRetrying(ctx.bus, subject, frame, { timeoutMs: ctx.config.bus.requestTimeoutMs }));
  if (!ack.taken) throw new Error(`presence did not take the cancellation: ${ack.error ?? 'no reason'}`);
}
