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
 * replaced session's edge is told to close it with <conflict/>. An account holds at most
 * edge.maxSessionsPerAccount sessions (§7.6.2.1 <resource-constraint/> past it). At stream end the
 * record goes and presence hears ENDED.
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
    if (await overCap(ctx, full)) return refuseOverCap(ctx, stream, iq);
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
  if (await overCap(ctx, full, stream.sessionId)) {
    // Another edge bound at the same moment and both got past the first check: the later loses.
    await ctx.registry.remove(full.toString(), stream.sessionId).catch(() => undefined);
    if (stream.state === 'authenticated') refuseOverCap(ctx, stream, iq);
    return undefined;
  }
  const old = outcome.replaced;
  if (old && old.sessionId !== stream.sessionId) {
    ctx.bus.publish(
      subjects.edgeControl(old.edgeId),
      encodeFrame({ control: { kind: 'CLOSE_SESSION', sessionId: old.sessionId, condition: 'conflict', text: 'replaced by a new connection' } }),
    );
  }
  stream.send(iqResult(iq, xml('bind', { xmlns: NS.bind }, xml('jid', {}, full.toString()))));
  stream.boundTo(full);
  stream.log.info({ jid: full.toString() }, 'bound');
  publishSessionEvent(ctx, full.bare().toString(), { kind: 'BOUND', jid: full.toString(), session: { edgeId: ctx.edgeId, sessionId: stream.sessionId } });
  return full;
}

/**
 * edge.maxSessionsPerAccount: before binding, whether the account already holds the maximum of
 * other resources (rebinding a bound resource replaces it, so it does not count); after binding
 * (`own` set), whether this session is past the maximum in bind order (concurrent binds: the latest
 * lose; across edges only as exact as the registry's watched cache, docs/security.md).
 */
async function overCap(ctx: EdgeContext, full: Jid, own?: string): Promise<boolean> {
  const max = ctx.config.edge.maxSessionsPerAccount;
  const sessions = await ctx.registry.ofUser(full.bare().toString());
  if (own === undefined) return sessions.filter((s) => s.jid !== full.toString()).length >= max;
  if (sessions.length <= max) return false;
  const order = [...sessions].sort((a, b) => a.boundAtMs - b.boundAtMs || a.sessionId.localeCompare(b.sessionId));
  return order.findIndex((s) => s.sessionId === own) >= max;
}

/** RFC 6120 §7.6.2.1: the account reached its limit of simultaneously connected resources. */
function refuseOverCap(ctx: EdgeContext, stream: C2sStream, iq: Element): undefined {
  stream.log.info({ jid: stream.jid?.toString(), max: ctx.config.edge.maxSessionsPerAccount }, 'bind refused: too many sessions');
  reply(stream, errorReply(iq, 'resource-constraint', { type: 'wait', text: `at most ${ctx.config.edge.maxSessionsPerAccount} sessions per account` }));
  return undefined;
}

function reply(stream: C2sStream, el: Element | undefined): void {
  if (el) stream.send(el);
}
