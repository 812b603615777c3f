import { inviteTokenId } from '#libs/auth';
import type { RosterItem } from '#libs/storage';
import type { FeatureDefinition, HookResult } from '#libs/xmpp-kit';
import type { PresenceStanza } from '../../core/presence-stanza.js';
import type { PresenceContext } from '../../presence.context.js';
import { onInbound, subscribeOnBehalf } from '../rfc6121-subscriptions/subscriptions.js';

export const NS_PARS = 'urn:xmpp:pars:0';
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * XEP-0379 pre-authenticated roster subscription, approved by the server for the inviter (§3.2
 * allows the server to do what the inviter's client would, §3.4): someone who already has an account
 * (here or on a federated server) opens a roster invite (`xmpp:romeo@example.com?roster;preauth=T`,
 * made by `gliderctl invite create romeo@example.com`) and their client sends
 * `<presence type='subscribe'><preauth xmlns='urn:xmpp:pars:0' token='T'/></presence>` to the
 * inviter. A valid token of an invite made for that inviter takes one use and stands for the
 * inviter's approval: the request is pre-approved (RFC 6121 §3.4) in the invite's group, answered
 * `subscribed` at once, and the inviter asks for the newcomer's presence in return. Anything else
 * (no such token, another inviter's, expired, used up, invites off) is an ordinary request for
 * the inviter to answer (XEP-0379 §5.1: a bad token is ignored).
 */
export const preauthSubscriptionFeature: FeatureDefinition<PresenceContext> = {
  name: 'preauthSubscription',
  spec: { xep: 379, version: '0.3.3' },
  discoFeatures: [],
  dependsOn: ['subscriptions'],
  setup: (ctx) => [ctx.hooks.on('presence:inbound', ({ stanza }) => onPreauthSubscribe(ctx, stanza), { owner: 'preauthSubscription', priority: 11 })],
};

async function onPreauthSubscribe(ctx: PresenceContext, st: PresenceStanza): Promise<HookResult> {
  if (st.type !== 'subscribe' || !st.to || !ctx.config.invites.enabled) return 'continue';
  const token = st.element().getChild('preauth', NS_PARS)?.attrs.token;
  if (!token || !TOKEN.test(token)) return 'continue';
  const user = st.to.bare().toString();
  const contact = st.from.bare().toString();
  const invite = await ctx.storage.invites.get(inviteTokenId(token));
  if (!invite || invite.inviter !== user || contact === user) return 'continue';
  const use = await ctx.storage.invites.use(invite.id, new Date());
  if (use.kind !== 'ok') return 'continue';
  await ctx.modifyRoster(user, contact, (cur) => preapproved(cur, contact, invite.group));
  ctx.logger.info({ jid: user, contact, invite: invite.id.slice(0, 12) }, 'subscription approved by an invite (XEP-0379)');
  await onInbound(ctx, st);
  await subscribeOnBehalf(ctx, user, contact);
  return 'stop';
}

/** The inviter's item for the newcomer, pre-approved (RFC 6121 §3.4) unless already subscribed from. */
function preapproved(cur: RosterItem | undefined, contact: string, group: string | undefined): RosterItem {
  const item: RosterItem = cur ?? { jid: contact, subscription: 'none', askOut: false, askIn: false, approved: false, groups: group ? [group] : [] };
  const hasFrom = item.subscription === 'from' || item.subscription === 'both';
  return { ...item, approved: !hasFrom };
}
