import { randomBytes } from 'node:crypto';
import type { Jid } from '#libs/jid';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import { errorReply, iqResult } from '#libs/stanza';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';
import { publishSessionEvent } from './session-events.js';
import { bindResource, bound, boundResources } from './bind-resource.js';

/**
 * RFC 6120 §7 resource binding through the session registry: a server-made resource when none is
 * asked for, edge.resourceConflict deciding what an already-bound full JID does (§7.7.2.2). The
 * replaced session's edge is told to close it with <conflict/>. An account holds at most
 * edge.maxSessionsPerAccount sessions (§7.6.2.1 <resource-constraint/> past it). At stream end the
 * record goes and presence hears ENDED.
 */
export const bindFeature: EdgeFeature = {
  name: 'bind',
  spec: { rfc: 6120, section: '7' },
  setup: (ctx) => {
    return [
      ctx.hooks.on(
        'stream-features',
        ({ stream, features }) => {
          if (stream.state === 'authenticated') features.append(xml('bind', { xmlns: NS.bind }));
        },
        { priority: 40, owner: 'bind' },
      ),
      ctx.hooks.on(
        'negotiate',
        ({ stream, el }) => {
          const payload = el.is('iq') ? el.getChild('bind', NS.bind) : undefined;
          if (!payload || (stream.state !== 'authenticated' && stream.state !== 'bound')) return 'continue';
          if (el.attrs.type !== 'set' || stream.state === 'bound') {
            reply(stream, errorReply(el, stream.state === 'bound' ? 'not-allowed' : 'bad-request', { type: 'cancel' }));
            return 'stop';
          }
          return bind(ctx, stream, el, payload).then(() => 'stop');
        },
        { priority: 40, owner: 'bind' },
      ),
      ctx.hooks.on(
        'stream-closed',
        async ({ stream }) => {
          const full = boundResources.get(stream);
          if (!full) return;
          boundResources.delete(stream);
          const removed = await ctx.registry.remove(full.toString(), stream.sessionId);
          if (!removed) return; // replaced, or swept as a dead edge's: someone else said ENDED
          publishSessionEvent(ctx, full.bare().toString(), {
            kind: 'ENDED',
            jid: full.toString(),
            session: { edgeId: ctx.edgeId, sessionId: stream.sessionId },
            wasAvailable: removed.available,
          });
        },
        { owner: 'bind' },
      ),
    ];
  },
};

async function bind(ctx: EdgeContext, stream: C2sStream, iq: Element, payload: Element): Promise<Jid | undefined> {
  const outcome = await bindResource(ctx, stream, payload.getChildText('resource')?.trim() || randomBytes(8).toString('hex'));
  if (!outcome.ok) {
    if (outcome.condition) reply(stream, errorReply(iq, outcome.condition, { type: outcome.type, text: outcome.text }));
    return undefined;
  }
  stream.send(iqResult(iq, xml('bind', { xmlns: NS.bind }, xml('jid', {}, outcome.full.toString()))));
  bound(stream, outcome.full);
  return outcome.full;
}

function reply(stream: C2sStream, el: Element | undefined): void {
  if (el) stream.send(el);
}
