import { encodeFrame, envelopeOf, requestRetrying, decodeAck } from '#libs/bus';
import { announceBlocklistChanged } from '#libs/blocking';
import { parseJid } from '#libs/jid';
import { closeSessionsOf } from '#libs/sessions';
import { StanzaError } from '#libs/stanza';
import { resultThen, type IqAnswer } from '#libs/xmpp-kit';
import { deleteAccountAndData, type RosterItem } from '#libs/storage';
import { xml, type Element } from '#libs/xml';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RouterContext } from '../../router.context.js';

/**
 * XEP-0077 §3.2, the user cancels their registration with their home server:
 *  1. as an RFC 6121 server SHOULD, every presence subscription in the roster is cancelled:
 *     `unsubscribe` where the user had the contact's presence (or asked for it), `unsubscribed`
 *     where the contact had theirs (or asked), sent as the user's own outbound presence to the
 *     presence service the addressing table names, so contacts' rosters change and they get
 *     unavailable presence (RFC 6121 §3.2.2, §3.3.2); with no presence service, nothing is removed;
 *  2. the account and its data go (deleteAccountAndData: the record first, then roster, offline,
 *     vCard, private XML, last activity);
 *  3. the IQ result is answered, then every session of the account ends with the stream error
 *     <not-authorized/> (XEP-0077 §3.2; RFC 6120 §4.9.3.18).
 */
export async function removeAccount(ctx: RouterContext, req: IqRequest, account: { username: string; domain: string }): Promise<IqAnswer> {
  const bare = `${account.username}@${account.domain}`;
  if (!(await ctx.storage.accounts.get(account.username, account.domain))) return new StanzaError('registration-required');
  const roster = await ctx.storage.rosters.get(bare);
  const sends = roster.items.flatMap((item) => cancellations(item).map((type) => xml('presence', { from: req.from.toString(), to: item.jid, type })));
  const presence = sends.length > 0 ? presenceService(ctx, req, sends[0]!) : undefined;
  if (presence instanceof StanzaError) return presence; // nothing changed yet: the user may retry
  for (const el of sends) await toPresence(ctx, req, presence!, el);
  if (!(await deleteAccountAndData(ctx.storage, account.username, account.domain))) return new StanzaError('registration-required');
  await announceBlocklistChanged(ctx.bus, bare); // its list went with it: no cache keeps it for a new account of that name
  ctx.logger.info({ jid: bare, subscriptionsCancelled: sends.length }, 'account removed in band (XEP-0077)');
  // the result leaves first (the dispatcher awaits its delivery), then the sessions end
  return resultThen(undefined, async () => {
    await closeSessionsOf(ctx.bus, ctx.registry, bare, 'not-authorized', 'account removed');
  });
}

/** The subscription stanzas that end what `item` holds (RFC 6121 Appendix A.2). */
export function cancellations(item: RosterItem): Array<'unsubscribe' | 'unsubscribed'> {
  const out: Array<'unsubscribe' | 'unsubscribed'> = [];
  if (item.subscription === 'to' || item.subscription === 'both' || item.askOut) out.push('unsubscribe');
  if (item.subscription === 'from' || item.subscription === 'both' || item.askIn) out.push('unsubscribed');
  return out;
}

type ServiceAddress = { subject: string; service: string };

/** Where the user's own presence goes (the addressing table: the presence service of the account). */
function presenceService(ctx: RouterContext, req: IqRequest, el: Element): ServiceAddress | StanzaError {
  const to = ctx.addressing.resolve({ kind: 'presence', type: el.attrs.type ?? '', from: req.from, to: parseJid(el.attrs.to!), phase: 'sent' });
  if (to.kind === 'service') return to;
  return new StanzaError('internal-server-error', { type: 'wait', text: 'subscriptions cannot be cancelled now (no presence service); nothing was removed' });
}

/**
 * Hands a presence stanza of the user's session to the presence service, as the router does with
 * what a session sends, and waits until it is handled.
 */
async function toPresence(ctx: RouterContext, req: IqRequest, to: ServiceAddress, el: Element): Promise<void> {
  const origin = req.stanza.env.origin;
  const frame = encodeFrame({ stanza: envelopeOf(el, origin ? { origin } : {}) });
  const ack = decodeAck(await requestRetrying(ctx.bus, to.subject, frame, { timeoutMs: ctx.config.bus.requestTimeoutMs }));
  if (!ack.taken) throw new Error(`${to.service} did not take the cancellation: ${ack.error ?? 'no reason'}`);
}
