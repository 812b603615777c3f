import { inviteTokenId } from '#libs/auth';
import { randomUUID } from 'node:crypto';
import { Delivery } from '#libs/bus';
import type { Invite, RosterChange, RosterItem } from '#libs/storage';
import { errorReply, iqResult, NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { EdgeFeature } from '../edge-feature.js';

export const NS_IBR_TOKEN = 'urn:xmpp:ibr-token:0';
export const NS_INVITE = 'urn:xmpp:invite';
export const NS_PARS = 'urn:xmpp:pars:0';

/** A token the stream presented and the server accepted (XEP-0445 §preauth-ibr), with when. */
export interface Preauth {
  id: string;
  at: Date;
}
const preauths = new WeakMap<C2sStream, Preauth>();

/** The invite this stream pre-authenticated with, if any (XEP-0077 registration then needs no open registration). */
export function preauthOf(stream: C2sStream): Preauth | undefined {
  return preauths.get(stream);
}

/** Invites apply to a domain whose accounts are local (a directory domain's come from the directory). */
export function invitesOn(ctx: EdgeContext, stream: C2sStream): boolean {
  return ctx.config.invites.enabled && ctx.passwords(stream.domain) === undefined;
}

/**
 * XEP-0401 easy onboarding with XEP-0445 pre-authenticated in-band registration, on the c2s stream
 * after TLS and before login. Only with `invites.enabled`: then the stream features carry
 * <register xmlns='urn:xmpp:ibr-token:0'/> and <register xmlns='urn:xmpp:invite'/>, and
 * <iq type='set'><preauth xmlns='urn:xmpp:pars:0' token='…'/></iq> is checked (not consumed: §preauth-ibr
 * says a use counts only when the registration succeeds; expiry is checked here only). The XEP-0077
 * registration that follows (features/xep-0077-register) takes the use and, for a roster invite,
 * makes the newcomer and the inviter contacts (XEP-0379).
 */
export const inviteFeature: EdgeFeature = {
  name: 'invite',
  spec: { xep: 401, version: '0.5.0' },
  setup: (ctx) => [
    ctx.hooks.on(
      'stream-features',
      ({ stream, features }) => {
        if (!invitesOn(ctx, stream) || stream.state !== 'secured') return;
        features.append(xml('register', { xmlns: NS_IBR_TOKEN }));
        features.append(xml('register', { xmlns: NS_INVITE }));
      },
      { priority: 44, owner: 'invite' },
    ),
    ctx.hooks.on(
      'negotiate',
      ({ stream, el }) => {
        const preauth = el.is('iq') ? el.getChild('preauth', NS_PARS) : undefined;
        if (!preauth || stream.state !== 'secured') return 'continue';
        return check(ctx, stream, el, preauth).then((answer) => {
          if (answer) stream.send(answer);
          return 'stop';
        });
      },
      { priority: 44, owner: 'invite' },
    ),
  ],
};

async function check(ctx: EdgeContext, stream: C2sStream, iq: Element, preauth: Element): Promise<Element | undefined> {
  if (!invitesOn(ctx, stream)) return errorReply(iq, 'service-unavailable', { type: 'cancel' });
  if (iq.attrs.type !== 'set') return errorReply(iq, 'bad-request', { type: 'modify' });
  const token = preauth.attrs.token ?? '';
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(token)) return errorReply(iq, 'item-not-found', { type: 'cancel', text: 'the invite token is invalid' });
  const now = new Date();
  const invite = await ctx.storage.invites.get(inviteTokenId(token));
  const refusal = inviteProblem(invite, stream.domain, now);
  if (refusal) return errorReply(iq, 'item-not-found', { type: 'cancel', text: refusal });
  preauths.set(stream, { id: invite!.id, at: now });
  stream.log.info({ invite: invite!.id.slice(0, 12) }, 'invite token accepted (XEP-0445)');
  return iqResult(iq);
}

/** Why an invite cannot be used now, in the words the client shows; undefined = usable. */
export function inviteProblem(invite: Invite | undefined, domain: string, now: Date): string | undefined {
  if (!invite || invite.domain !== domain) return 'the invite token is invalid';
  if (invite.expiresAt.getTime() <= now.getTime()) return 'the invite has expired';
  if (invite.usesLeft <= 0) return 'the invite has already been used';
  return undefined;
}

/**
 * XEP-0379: the newcomer and the inviter become contacts, subscribed both ways, in the invite's
 * group if it has one, in both stored rosters. The inviter's online resources that asked for the
 * roster get a push (XEP-0401 §preauth-ibr: the server MUST, RFC 6121 §2.1.6, with the version the
 * change made, §2.6); the newcomer has no session yet and reads the roster at login.
 */
export async function befriend(ctx: EdgeContext, invite: Invite, newcomer: string): Promise<void> {
  if (!invite.inviter) return;
  const inviter = invite.inviter;
  const item = (jid: string): RosterItem => ({
    jid,
    subscription: 'both',
    askOut: false,
    askIn: false,
    approved: false,
    groups: invite.group ? [invite.group] : [],
  });
  await ctx.storage.rosters.modify(newcomer, inviter, () => item(inviter));
  const change = await ctx.storage.rosters.modify(inviter, newcomer, (current) => ({ ...item(newcomer), ...(current?.name ? { name: current.name } : {}) }));
  if (change) await pushToInviter(ctx, inviter, change);
}

async function pushToInviter(ctx: EdgeContext, inviter: string, change: RosterChange): Promise<void> {
  const { item } = change;
  const el = xml(
    'item',
    { jid: item.jid, subscription: item.subscription, ...(item.name ? { name: item.name } : {}) },
    ...item.groups.map((g) => xml('group', {}, g)),
  );
  const delivery = new Delivery(ctx.bus, ctx.config.bus.deliveryAckTimeoutMs);
  for (const s of (await ctx.registry.ofUser(inviter)).filter((r) => r.interested)) {
    const push = xml('iq', { type: 'set', id: `push-${randomUUID()}`, to: s.jid }, xml('query', { xmlns: NS.roster, ver: String(change.version) }, el));
    // A session that went meanwhile reads the roster at its next login: nothing to redo.
    const outcome = await delivery.element(push, s);
    if (!outcome.ok) ctx.logger.debug({ jid: s.jid, reason: outcome.reason }, 'invite: roster push to the inviter not delivered');
  }
}
