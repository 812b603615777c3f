import { capsOf, type PubSubConfig } from '#libs/pubsub';
import type { HookResult, Registration } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';

/**
 * XEP-0163 §4.3.1 with XEP-0115 §6.2: when a session sends available presence for the first time
 * or with other caps, the last item of each node it wants (+notify) goes to it, from the account
 * itself and from each contact whose presence it receives. The caps each session was last served
 * for are kept in the memory of the process owning the user's partition (after a failover the
 * next presence sends them again, which is harmless: clients treat it as a repeat).
 *
 * It runs once the presence is recorded in the session registry (`presence:recorded`), never
 * before: a publish's notification reads the session's caps from that record, so asking for unknown
 * caps earlier let a publish that came between the answer and the record miss the session while its
 * last-item send had read the node before that publish (both lost it).
 */
export function watchCaps(ctx: PresenceContext, cfg: PubSubConfig): Registration[] {
  const served = new Map<string, string>();
  return [
    ctx.hooks.on(
      'presence:recorded',
      async ({ stanza }): Promise<HookResult> => {
        const origin = stanza.env.origin;
        if (!origin?.edgeId) return 'continue';
        const caps = capsOf(stanza.element());
        const jid = stanza.from.toString();
        const key = caps ? `${caps.hash ?? ''} ${caps.ver}` : '';
        if (served.get(jid) === key) return 'continue';
        served.set(jid, key);
        try {
          await ctx.pep.onAvailable({ jid, edgeId: origin.edgeId, sessionId: origin.sessionId }, caps, `${cfg.subdomain}.${stanza.from.domain}`);
        } catch (err) {
          ctx.logger.warn({ err: (err as Error).message, jid }, 'last PEP items not sent');
        }
        return 'continue';
      },
      { owner: 'pubsub' },
    ),
    ctx.hooks.on(
      'session:ended',
      ({ event }): HookResult => {
        served.delete(event.jid);
        return 'continue';
      },
      { owner: 'pubsub' },
    ),
  ];
}
