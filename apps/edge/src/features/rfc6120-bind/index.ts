import { randomBytes } from 'node:crypto';
import { encodeFrame, subjects } from '#libs/bus';
import { jid, type Jid } from '#libs/jid';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import { errorReply, iqResult } from '#libs/stanza';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';
import { publishSessionEvent } from './session-events.js';

/**
 * RFC 6120 §7 resource binding through the session registry: a server-made resource when none is
 * asked for, edge.resourceConflict deciding what an already-bound full JID does (§7.7.2.2). The
 * replaced session's edge is told to close it with <conflict/>. At stream end the record goes and
 * presence hears ENDED.
 */
export const bindFeature: EdgeFeature = {
  name: 'bind',
  spec: { rfc: 6120, section: '7' },
  setup: (ctx) => {
    const bound = new WeakMap<C2sStream, Jid>();
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
        async ({ stream, el }) => {
          const payload = el.is('iq') ? el.getChild('bind', NS.bind) : undefined;
          if (!payload || (stream.state !== 'authenticated' && stream.state !== 'bound')) return 'continue';
          if (el.attrs.type !== 'set' || stream.state === 'bound') {
            reply(stream, errorReply(el, stream.state === 'bound' ? 'not-allowed' : 'bad-request', { type: 'cancel' }));
            return 'stop';
          }
          const full = await bind(ctx, stream, el, payload);
          if (full) bound.set(stream, full);
          return 'stop';
        },
        { priority: 40, owner: 'bind' },
      ),
      ctx.hooks.on(
        'stream-closed',
        async ({ stream }) => {
          const full = bound.get(stream);
          if (!full) return;
          bound.delete(stream);
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
  const asked = payload.getChildText('resource')?.trim();
  let full: Jid;
  try {
    full = jid(stream.jid!.local, stream.jid!.domain, asked || randomBytes(8).toString('hex'));
  } catch {
    reply(stream, errorReply(iq, 'bad-request', { type: 'modify', text: 'the resource is not a valid resourcepart' }));
    return undefined;
  }
  let outcome;
  try {
    outcome = await ctx.registry.bind(
      { jid: full.toString(), edgeId: ctx.edgeId, sessionId: stream.sessionId, priority: 0, available: false, interested: false, boundAtMs: Date.now() },
      ctx.config.edge.resourceConflict,
    );
  } catch (err) {
    stream.log.error({ err, jid: full.toString() }, 'session registry bind failed');
    reply(stream, errorReply(iq, 'internal-server-error', { type: 'wait' }));
    return undefined;
  }
  if (stream.state !== 'authenticated') {
    // Closed while binding: take the record back so it does not outlive the connection.
    if (outcome.ok) await ctx.registry.remove(full.toString(), stream.sessionId).catch(() => undefined);
    return undefined;
  }
  if (!outcome.ok) {
    reply(stream, errorReply(iq, 'conflict', { type: 'cancel' }));
    return undefined;
  }
  const old = outcome.replaced;
  if (old && old.sessionId !== stream.sessionId) {
    ctx.bus.publish(subjects.edgeControl(old.edgeId), encodeFrame({ control: { kind: 'CLOSE_SESSION', sessionId: old.sessionId, condition: 'conflict', text: 'replaced by a new connection' } }));
  }
  stream.send(iqResult(iq, xml('bind', { xmlns: NS.bind }, xml('jid', {}, full.toString()))));
  stream.boundTo(full);
  stream.log.info({ jid: full.toString() }, 'bound');
  publishSessionEvent(ctx, full.bare().toString(), { kind: 'BOUND', jid: full.toString(), session: { edgeId: ctx.edgeId, sessionId: stream.sessionId } });
  return full;
}

function reply(stream: C2sStream, el: Element | undefined): void {
  if (el) stream.send(el);
}
