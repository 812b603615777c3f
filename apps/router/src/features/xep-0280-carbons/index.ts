import type { SessionInfo } from '#libs/sessions';
import { NS, StanzaError } from '#libs/stanza';
import type { FeatureDefinition } from '#libs/xmpp-kit';
import { deliverCopy } from '../../core/acked-delivery.js';
import type { IqRequest } from '../../core/iq-dispatcher.js';
import type { RoutedStanza } from '../../core/routed-stanza.js';
import type { RouterContext } from '../../router.context.js';
import { carbonCopy, eligibleForCarbons, type CarbonDirection } from './eligibility.js';

export const CARBONS_NS = NS.carbons;

/**
 * XEP-0280 Message Carbons (v2). The per-session switch is the `carbons` field of the session's
 * record in the shared registry (libs/sessions, KV in a cluster): whichever router routes a message
 * sees it. Copies go through the acknowledged delivery path (a copy not taken is dropped, §6).
 */
export const carbonsFeature: FeatureDefinition<RouterContext> = {
  name: 'carbons',
  spec: { xep: 280, version: '1.0.1' },
  discoFeatures: [CARBONS_NS],
  setup: (ctx) => [
    ctx.iq.register('set', CARBONS_NS, (req) => toggle(ctx, req), { server: true, account: true }, 'carbons'),
    // §6: a copy to each carbons-enabled resource of the recipient that did not get the original.
    ctx.hooks.on('message:local', ({ stanza, sessions }) => received(ctx, stanza, sessions), { owner: 'carbons' }),
    // §6 too when no resource gets the original (stored offline, or bounced): a carbons-enabled
    // session without presence or of negative priority still sees it. Runs before offline storage.
    ctx.hooks.on('message:offline', ({ stanza }) => void received(ctx, stanza, []), { priority: 10, owner: 'carbons' }),
    // §7: a copy to each carbons-enabled resource of the sender except the sending one.
    ctx.hooks.on('message:sent', ({ stanza }) => sent(ctx, stanza), { owner: 'carbons' }),
  ],
};

/** §4/§5: enable or disable for the sending session; repeated requests are no error (§10.1). */
async function toggle(ctx: RouterContext, req: IqRequest): Promise<StanzaError | undefined> {
  const { payload, stanza, from } = req;
  if (payload.name !== 'enable' && payload.name !== 'disable') return new StanzaError('bad-request', { text: 'expected <enable/> or <disable/>' });
  const origin = stanza.env.origin;
  // §4.1/§5.1: only a client hosted here, for itself (another user's account: not-allowed too).
  if (!origin || (!req.toServer && !req.own)) return new StanzaError('not-allowed');
  const session = await ctx.registry.get(from.toString());
  if (!session || session.sessionId !== origin.sessionId) return new StanzaError('not-allowed', { text: 'no such session' });
  const on = payload.name === 'enable';
  if ((session.carbons === true) === on) return undefined;
  if (!(await ctx.registry.update(session.jid, session.sessionId, { carbons: on }))) return new StanzaError('not-allowed', { text: 'no such session' });
  return undefined;
}

async function received(ctx: RouterContext, st: RoutedStanza, targets: SessionInfo[]): Promise<void> {
  if (st.hops > 0) return; // copied on the first routing only
  if (st.mayHold(NS.carbons) && stripPrivate(st)) return;
  const bare = st.to.bare().toString();
  const got = new Set(targets.map((s) => s.sessionId));
  // The sender's own session never gets a copy of its message (a user writing to another resource).
  const sender = st.from.toString();
  const others = (await ctx.registry.ofUser(bare)).filter((s) => s.carbons === true && !got.has(s.sessionId) && s.jid !== sender);
  // The sessions first: with none to copy to, the message is never parsed for its eligibility.
  if (others.length === 0 || !eligibleForCarbons(st.element())) return;
  copyTo(ctx, st, 'received', bare, others);
}

async function sent(ctx: RouterContext, st: RoutedStanza): Promise<void> {
  const bare = st.from.bare().toString();
  // To the user's own account: the received copies (§6) already cover the other resources.
  if (st.to.bare().toString() === bare) return;
  const origin = st.env.origin!.sessionId;
  const others = (await ctx.registry.ofUser(bare)).filter((s) => s.carbons === true && s.sessionId !== origin);
  if (others.length === 0 || !eligibleForCarbons(st.element())) return;
  // the message as the sender's archive has it (XEP-0313 §3.5: its stanza-id), when it is archived
  copyTo(ctx, st, 'sent', bare, others, st.senderCopy);
}

/**
 * §8: the receiving server SHOULD remove <private/> before delivering to the recipient. Only the
 * rare private message is re-serialised; its deliveries (and any re-routing) carry the new bytes.
 * True when the message was private (so it is not copied).
 */
function stripPrivate(st: RoutedStanza): boolean {
  const el = st.element();
  const marks = el.getChildren('private', NS.carbons);
  if (marks.length === 0) return false;
  for (const m of marks) el.remove(m);
  st.env.xml = Buffer.from(el.toString(), 'utf8');
  return true;
}

function copyTo(ctx: RouterContext, st: RoutedStanza, direction: CarbonDirection, bare: string, sessions: SessionInfo[], original = st.element()): void {
  for (const s of sessions) deliverCopy(ctx, st, carbonCopy(direction, original, st.env, bare, s.jid), s);
}
