import { subjects } from '#libs/bus';
import type { Registration } from '#libs/xmpp-kit';
import type { PresenceContext } from '../../presence.context.js';

/**
 * On-demand refresh (admin API `RefreshSharedRoster`, `gliderctl directory refresh`): every presence
 * replica hears the request (no queue group: each one keeps its own copy of the groups and pushes
 * its own partitions' changes) and answers with what it read; the admin API takes the first answer.
 */
export function answerRefreshRequests(ctx: PresenceContext): Registration {
  const sub = ctx.bus.subscribe(subjects.directoryRefresh(), async (msg) => {
    const domain = Buffer.from(msg.data).toString('utf8') || undefined;
    let answer: unknown;
    try {
      answer = { results: await ctx.sharedRoster.refresh(domain) };
    } catch (err) {
      ctx.logger.warn({ domain, err: (err as Error).message }, 'shared roster: on-demand refresh failed');
      answer = { error: (err as Error).message };
    }
    if (msg.replyExpected) msg.respond(Buffer.from(JSON.stringify(answer)));
  });
  return () => void sub.unsubscribe();
}
