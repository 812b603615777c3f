import { metadataElement } from '#libs/archive';
import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { EdgeHooks } from '../../edge.hooks.js';
import type { EdgeFeature } from '../edge-feature.js';
import { bindResource, bound } from '../rfc6120-bind/bind-resource.js';
import { bind2Resource } from './resource.js';

/**
 * XEP-0386 Bind 2 (v1.0) inside SASL2: offered in SASL2's <inline/> with the extensions <bind/> may
 * enable (`bind2-inline`); `<bind><tag/>…</bind>` in <authenticate/> binds `<tag>/<id>` after the
 * authentication succeeded (§identifiers: the id is stable for one account, tag and user-agent id,
 * so a reconnecting client replaces its old session, §bind-request) unless a resume took a session
 * first; features then handle their child of <bind/> (`bind2-bound`: XEP-0198 <enable/>, XEP-0352
 * <inactive/>). XEP-0280 <enable/> is handled here: the session's carbons flag in the registry.
 * A refused bind (too many sessions, conflict) fails the whole SASL2 attempt with the bind's error.
 */
export const bind2Feature: EdgeFeature = {
  name: 'bind2',
  spec: { xep: 386, version: '1.0.0' },
  dependsOn: ['sasl2'],
  setup: (ctx) => {
    if (!ctx.config.edge.sasl2.enabled) return [];
    return [
      ctx.hooks.on(
        'sasl2-inline',
        async ({ stream, inline }) => {
          const features = xml('inline');
          await ctx.hooks.run('bind2-inline', { stream, inline: features });
          inline.append(xml('bind', { xmlns: NS.bind2 }, features));
        },
        { priority: 200, owner: 'bind2' },
      ),
      ctx.hooks.on('bind2-inline', ({ inline }) => void inline.append(xml('feature', { var: NS.carbons })), { priority: 100, owner: 'bind2' }),
      ctx.hooks.on('sasl2-success', (arg) => bind2(ctx, arg), { priority: 200, owner: 'bind2' }),
      ctx.hooks.on(
        'negotiate',
        ({ stream, el }) => {
          if (el.attrs.xmlns !== NS.bind2) return 'continue';
          // Bind2 only exists inside SASL2's <authenticate/> (XEP-0386 §bind-request).
          const early = stream.state !== 'bound' && stream.state !== 'authenticated';
          stream.error(early ? 'not-authorized' : 'unsupported-stanza-type', 'Bind2 goes inside SASL2 <authenticate/>');
          return 'stop';
        },
        { priority: 40, owner: 'bind2' },
      ),
      ctx.hooks.on(
        'bind2-bound',
        async ({ stream, request }) => {
          if (!request.getChild('enable', NS.carbons)) return;
          // XEP-0386 §bind-request: carbons "MUST succeed": no answer in <bound/>.
          if (!(await ctx.registry.update(stream.jid!.toString(), stream.sessionId, { carbons: true }))) {
            stream.log.warn({ jid: stream.jid?.toString() }, 'Bind2 carbons: the session record was gone');
          }
        },
        { priority: 100, owner: 'bind2' },
      ),
    ];
  },
};

async function bind2(ctx: EdgeContext, arg: EdgeHooks['sasl2-success']): Promise<'stop' | 'continue'> {
  const { stream, request, userAgent, success } = arg;
  const bind = request.getChild('bind', NS.bind2);
  // Not asked for, or a resume already answered with its session (§bind-request note: <bind/> ignored).
  if (!bind || arg.answered() || stream.state !== 'authenticated') return 'continue';
  const resource = bind2Resource(stream.jid!.bare().toString(), bind.getChildText('tag', NS.bind2), userAgent?.id, ctx.config.edge.sasl2.maxTagLength);
  const outcome = await bindResource(ctx, stream, resource);
  if (!outcome.ok) {
    if (stream.state !== 'authenticated') return 'stop';
    arg.refused = {
      condition: outcome.condition === 'internal-server-error' ? 'temporary-auth-failure' : 'not-authorized',
      appCondition: xml(outcome.condition ?? 'undefined-condition', { xmlns: NS.stanzas }),
      text: outcome.text ?? 'the resource could not be bound',
    };
    return 'stop';
  }
  bound(stream, outcome.full);
  const boundEl: Element = xml('bound', { xmlns: NS.bind2 });
  // §bind-request SHOULD: the archive's state at the moment of binding, for the client's MAM catch-up.
  if (ctx.config.archive.enabled) {
    try {
      boundEl.append(metadataElement(await ctx.storage.archive.bounds(stream.jid!.bare().toString())));
    } catch (err) {
      stream.log.warn({ err: (err as Error).message }, 'Bind2: archive bounds unavailable; <bound/> without <metadata/>');
    }
  }
  await ctx.hooks.run('bind2-bound', { stream, request: bind, bound: boundEl });
  success.append(boundEl);
  return 'continue';
}
