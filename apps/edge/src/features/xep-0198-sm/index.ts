import { KvConflictError, encodeFrame, partitionOf, subjects, type StanzaEnvelope } from '#libs/bus';
import { endResumable, ResumableStore, type ResumableRecord } from '#libs/sessions';
import { delayElement } from '#libs/stanza';
import { parseElement, reparseLimits, xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { EdgeFeature } from '../edge-feature.js';
import { resumeSession, type ReleaseAnswer, type SmTables } from './resume.js';
import { failed, NS_SM } from './sm-nonzas.js';
import { SmSession, type SmDeps } from './sm-session.js';

/**
 * XEP-0198 Stream Management v3 (README.md here): acks both ways, and resumption on any edge with
 * the session's state in the bus KV (`glider_sm`, libs/sessions ResumableStore). Reacts to:
 * `stream-features` (offers <sm/> after authentication), `negotiate` (<enable/>, <resume/>, <a/>,
 * <r/>), `stanza-out` (numbers, stores, then writes every stanza for the client), `stream-closed`
 * (detach, or end for good), and release requests from edges resuming a session held here.
 */
export const smFeature: EdgeFeature = {
  name: 'stream-management',
  spec: { xep: 198, version: '1.6' },
  setup: (ctx) => {
    const config = ctx.config.edge.sm;
    const store = new ResumableStore(ctx.bus);
    const tables: SmTables = { byStream: new WeakMap(), byId: new Map() };
    const deps: SmDeps = {
      store,
      config,
      registry: ctx.registry,
      end: (sm, reason) => endFor(ctx, store, sm, reason),
      detached: (jid, id) => tellDetached(ctx, jid, id),
    };
    const release = ctx.bus.subscribe(subjects.edgeSm(ctx.edgeId), async (msg) => {
      const { id } = JSON.parse(Buffer.from(msg.data).toString('utf8')) as { id: string };
      const sm = tables.byId.get(id);
      const answer: ReleaseAnswer = { released: sm !== undefined };
      if (sm) {
        sm.fence();
        await sm.settled();
        answer.inH = sm.inH;
      }
      msg.respond(Buffer.from(JSON.stringify(answer)));
    });
    return [
      ctx.hooks.on(
        'stream-features',
        ({ stream, features }) => {
          if (config.enabled && stream.state === 'authenticated') features.append(xml('sm', { xmlns: NS_SM }));
        },
        { priority: 35, owner: 'stream-management' },
      ),
      ctx.hooks.on(
        'negotiate',
        ({ stream, el }) => {
          if (el.attrs.xmlns !== NS_SM) return 'continue';
          const sm = tables.byStream.get(stream);
          switch (el.name) {
            case 'enable':
              return enable(ctx, deps, tables, stream, el.attrs).then(() => 'stop');
            case 'resume':
              if (!sm) return resumeSession(ctx, deps, tables, stream, el.attrs).then(() => 'stop');
              stream.send(failed('unexpected-request', { text: 'this stream is already bound' }));
              return 'stop';
            case 'a':
              if (!sm) return 'continue'; // not enabled: refused as an unsupported element
              sm.onAck(el.attrs.h);
              return 'stop';
            case 'r':
              if (!sm) return 'continue';
              sm.onRequest();
              return 'stop';
            default:
              return 'continue';
          }
        },
        { priority: 35, owner: 'stream-management' },
      ),
      ctx.hooks.on(
        'stanza-out',
        (out) => {
          tables.byStream.get(out.stream)?.onOut(out);
        },
        { priority: 1000, owner: 'stream-management', optIn: true }, // streams with SM only (interceptOut at enable/resume)
      ),
      ctx.hooks.on(
        'stream-closed',
        async ({ stream }) => {
          const sm = tables.byStream.get(stream);
          if (!sm) return 'continue';
          tables.byStream.delete(stream);
          try {
            if (sm.fenced) return 'stop'; // resumed elsewhere: the session is not ours to end
            if (sm.ending || !sm.resume || stream.closedByPeer) await deps.end(sm, sm.ending ? 'limit' : 'closed');
            else await sm.detach();
            return 'stop'; // the session's registry record stays (detached) or was removed by the end
          } finally {
            // Findable by id until detached: a resume elsewhere meanwhile asks this edge to let go and
            // learns the exact inbound count (else it reports the last saved one and the client
            // re-sends stanzas the server had: duplicates, seen in SINT's StreamManagementTest).
            if (tables.byId.get(sm.id) === sm) tables.byId.delete(sm.id);
          }
        },
        { priority: 100, owner: 'stream-management' },
      ),
      ...inlineHandlers(ctx, deps, tables),
      () => void release.unsubscribe(),
    ];
  },
};

/**
 * XEP-0198 inside XEP-0388 SASL2 (`<resume/>` in <authenticate/>, answered in <success/>) and
 * XEP-0386 Bind2 (`<enable/>` in <bind/>, answered in <bound/>): the same resume and enable as on
 * the stream, so a session resumes on any edge through SASL2 too. Offered only with edge.sm.enabled.
 */
function inlineHandlers(ctx: EdgeContext, deps: SmDeps, tables: SmTables) {
  const offer = deps.config.enabled;
  return [
    ctx.hooks.on('sasl2-inline', ({ inline }) => void (offer && inline.append(xml('sm', { xmlns: NS_SM }))), { priority: 300, owner: 'stream-management' }),
    ctx.hooks.on('bind2-inline', ({ inline }) => void (offer && inline.append(xml('feature', { var: NS_SM }))), { priority: 300, owner: 'stream-management' }),
    ctx.hooks.on(
      'sasl2-success',
      async (arg) => {
        const resume = arg.request.getChild('resume', NS_SM);
        if (!resume || arg.answered()) return;
        await resumeSession(ctx, deps, tables, arg.stream, resume.attrs, (el) => {
          arg.success.append(el);
          // Resumed: <success/> goes now, before the replay (XEP-0388 inline; Bind2 is skipped).
          // Failed: the <failed/> rides in <success/> and Bind2 makes a new session (XEP-0386 note).
          if (el.name === 'resumed') return arg.answer();
        });
      },
      { priority: 300, owner: 'stream-management' },
    ),
    ctx.hooks.on(
      'bind2-bound',
      async ({ stream, request, bound }) => {
        const el = request.getChild('enable', NS_SM);
        if (el) await enable(ctx, deps, tables, stream, el.attrs, (answer) => bound.append(answer));
      },
      { priority: 300, owner: 'stream-management' },
    ),
  ];
}

/** XEP-0198 §3: `<enable/>` once bound, once per stream. */
async function enable(
  ctx: EdgeContext,
  deps: SmDeps,
  tables: SmTables,
  stream: C2sStream,
  attrs: Record<string, string>,
  /** Where <enabled/> or <failed/> goes: the stream, or Bind2's <bound/> (XEP-0386 inline). */
  answer: (el: Element) => void = (el) => stream.send(el),
): Promise<void> {
  if (stream.state !== 'bound' || !stream.jid) return answer(failed('unexpected-request', { text: 'enable stream management after binding a resource' }));
  if (tables.byStream.has(stream)) return answer(failed('unexpected-request', { text: 'stream management is already enabled' }));
  const resume = attrs.resume === 'true' || attrs.resume === '1';
  const asked = Number(attrs.max);
  const timeoutSec = Number.isInteger(asked) && asked > 0 ? Math.min(asked, deps.config.resumeTimeoutSec) : deps.config.resumeTimeoutSec;
  const record: ResumableRecord = {
    v: 1,
    jid: stream.jid.toString(),
    state: 'attached',
    edgeId: ctx.edgeId,
    inH: 0,
    acked: 0,
    sent: 0,
    timeoutSec,
    expiresAtMs: 0,
  };
  let revision: number;
  try {
    revision = await deps.store.create(stream.sessionId, record);
  } catch (err) {
    stream.log.error({ err: (err as Error).message }, 'stream management record not created');
    return answer(failed(err instanceof KvConflictError ? 'unexpected-request' : 'internal-server-error'));
  }
  if (stream.state !== 'bound') {
    await deps.store.delete(stream.sessionId).catch(() => undefined); // closed meanwhile: nothing to resume
    return;
  }
  const sm = new SmSession(stream, deps, stream.sessionId, record, revision, resume);
  tables.byStream.set(stream, sm);
  tables.byId.set(sm.id, sm);
  stream.interceptOut(true);
  stream.resumable = resume;
  const enabled = xml('enabled', { xmlns: NS_SM });
  if (resume) {
    enabled.attrs.id = sm.id;
    enabled.attrs.resume = 'true';
    enabled.attrs.max = String(timeoutSec);
  }
  answer(enabled);
}

/** Ends a session held here for good (clean close, limit, SM without resumption). */
async function endFor(ctx: EdgeContext, store: ResumableStore, sm: SmSession, reason: string): Promise<void> {
  await sm.settled();
  await endResumable(
    {
      bus: ctx.bus,
      registry: ctx.registry,
      store,
      partitions: ctx.config.bus.partitions,
      routeTimeoutMs: ctx.config.edge.routeTimeoutMs,
      logger: ctx.logger,
      lastResort: (env) => storeOffline(ctx, env),
    },
    sm.id,
    reason,
    (r) => r.state === 'attached' && r.edgeId === ctx.edgeId,
  );
}

/**
 * SessionEvent DETACHED to the router of the account's partition: what the client had not
 * acknowledged waits in the queue, and the router may push a notification for it (XEP-0357). A
 * router that does not take it leaves the queue as it is (it is still resumed or routed again at
 * the end); the warning says that no notification went out.
 */
function tellDetached(ctx: EdgeContext, jid: string, sessionId: string): void {
  const bare = jid.slice(0, jid.indexOf('/'));
  const frame = encodeFrame({ session: { kind: 'DETACHED', jid, session: { edgeId: ctx.edgeId, sessionId } } });
  ctx.bus
    .request(subjects.routerIn(partitionOf(bare, ctx.config.bus.partitions)), frame, { timeoutMs: ctx.config.edge.routeTimeoutMs })
    .catch((err: unknown) => {
      ctx.logger.warn({ err: (err as Error).message, jid, sid: sessionId }, 'no router heard that a session detached with unacknowledged stanzas');
    });
}

/** No router took a stanza back: a chat or normal message goes to offline storage; anything else cannot be kept. */
export async function storeOffline(ctx: EdgeContext, env: StanzaEnvelope): Promise<void> {
  const storable = env.kind === 'MESSAGE' && (env.type === '' || env.type === 'chat' || env.type === 'normal');
  if (!storable) throw new Error(`a ${env.kind.toLowerCase()} of type '${env.type}' is not stored offline`);
  const slash = env.to.indexOf('/');
  const bare = slash < 0 ? env.to : env.to.slice(0, slash);
  const el = parseElement(Buffer.from(env.xml).toString('utf8'), reparseLimits(ctx.config.edge.limits));
  el.append(delayElement(bare.slice(bare.indexOf('@') + 1), new Date()));
  await ctx.storage.offline.push(bare, el.toString(), { messages: ctx.config.router.offlineMaxPerUser, bytes: ctx.config.router.offlineMaxBytesPerUser });
}
