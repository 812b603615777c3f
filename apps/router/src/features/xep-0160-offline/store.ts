import { encodeFrame, partitionOf, subjects } from '#libs/bus';
import { NS, StanzaError, delayElement } from '#libs/stanza';
import { StorageLimitError, StorageUnavailableError } from '#libs/storage';
import type { Element } from '#libs/xml';
import type { HookResult } from '#libs/xmpp-kit';
import { MAX_HOPS, mostAvailable } from '../../core/message-rules.js';
import type { RouterContext } from '../../router.context.js';
import type { RouterHooks } from '../../router.hooks.js';

/** Stores the message, or bounces it when it cannot be stored: never dropped. */
export async function storeOffline(ctx: RouterContext, { stanza, owner }: RouterHooks['message:offline']): Promise<HookResult> {
  const max = ctx.config.router.offlineMaxPerUser;
  if (max === 0) return 'continue'; // storage off: the router bounces
  if (!worthStoring(stanza.element())) return 'stop'; // dropped: nobody wants it later, nor an error now
  const el = stanza.element().clone();
  el.append(delayElement(stanza.to.domain, new Date()));
  try {
    await ctx.storage.offline.push(owner, el.toString(), { messages: max, bytes: ctx.config.router.offlineMaxBytesPerUser });
    ctx.stats.offlineStored++;
    if (ctx.hooks.has('message:waiting')) await ctx.hooks.run('message:waiting', { stanza, owner, where: 'offline' });
  } catch (err) {
    if (err instanceof StorageLimitError) {
      await ctx.bounce(stanza, new StanzaError('service-unavailable', { type: 'cancel', text: 'offline storage full' })); // XEP-0160 §3
      return 'stop';
    }
    if (err instanceof StorageUnavailableError) {
      await ctx.bounce(stanza, new StanzaError('internal-server-error', { type: 'wait' }));
      return 'stop';
    }
    throw err;
  }
  // After MAX_HOPS the registry still lists sessions the edges no longer have: no redelivery loop.
  if (stanza.hops < MAX_HOPS) await flushIfOnlineMeanwhile(ctx, owner);
  return 'stop';
}

/**
 * Chat states alone (XEP-0085 §5.6: not stored offline) and messages hinted no-store (XEP-0334) are
 * not kept for later.
 */
function worthStoring(message: Element): boolean {
  if (message.getChild('no-store', NS.hints) || message.getChild('no-permanent-store', NS.hints)) return false;
  return message.elements().some((c) => c.xmlns !== NS.chatStates);
}

/**
 * The owner may have come online between our registry read and the store, after the flush of their
 * AVAILABLE already ran: ask their partition to flush again (a flush of nothing costs one read).
 */
async function flushIfOnlineMeanwhile(ctx: RouterContext, owner: string): Promise<void> {
  const sessions = mostAvailable(await ctx.registry.ofUser(owner));
  const subject = subjects.routerIn(partitionOf(owner, ctx.config.bus.partitions));
  for (const s of sessions) {
    ctx.bus.publish(subject, encodeFrame({ session: { kind: 'AVAILABLE', jid: s.jid, session: { edgeId: s.edgeId, sessionId: s.sessionId } } }));
  }
}
