import type { SaslMechanism } from '#libs/auth';
import { jid } from '#libs/jid';
import { NS } from '#libs/stanza';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { EdgeHooks, UserAgent } from '../../edge.hooks.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import type { EdgeFeature } from '../edge-feature.js';
import { mechanismFor, offeredMechanisms } from '../rfc6120-sasl/index.js';
import { abort, begin, exchangeOf, saslConfigSchema, step, type SaslConfig, type SaslWire } from '../rfc6120-sasl/sasl-exchange.js';
import { parseUserAgent } from './user-agent.js';

/**
 * XEP-0388 Extensible SASL Profile (SASL2, v0.4) beside RFC 6120 SASL: `<authentication/>` offers the
 * same password mechanisms (and FAST's, through `sasl2-inline`), `<authenticate/>` with
 * `<initial-response/>` and `<user-agent/>`, `<challenge/>`/`<response/>`, `<abort/>`, `<success/>`
 * with `<authorization-identifier/>` (bare, or full once Bind2 bound or a resume took a session),
 * then the new stream features without a restart. `<failure/>` carries the RFC 6120 §6.5 condition.
 * The exchange, failure counting and the failed-login back-off are RFC 6120 SASL's
 * (rfc6120-sasl/sasl-exchange.ts): one count of attempts per stream whichever profile it used.
 * No `<continue/>` tasks are offered (no 2FA, no upgrade task).
 */
export const sasl2Feature: EdgeFeature<SaslConfig> = {
  name: 'sasl2',
  spec: { xep: 388, version: '0.4.2' },
  config: saslConfigSchema,
  setup: (ctx, cfg) => {
    if (!ctx.config.edge.sasl2.enabled) return [];
    const agents = new WeakMap<C2sStream, { request: Element; userAgent?: UserAgent }>();
    /** Streams with a SASL2 exchange under way (from <authenticate/> to <success/> or <failure/>). */
    const running = new WeakSet<C2sStream>();
    return [
      ctx.hooks.on(
        'stream-features',
        async ({ stream, features }) => {
          if (stream.state !== 'secured') return;
          const inline = xml('inline');
          const extra: string[] = [];
          await ctx.hooks.run('sasl2-inline', { stream, inline, mechanisms: extra });
          const offered = [...offeredMechanisms(ctx, stream), ...extra];
          // RFC 6120 SASL advertised these too (priority 50 ran first); both profiles accept the union.
          exchangeOf(stream).advertised = offered;
          const auth = xml('authentication', { xmlns: NS.sasl2 }, ...offeredMechanisms(ctx, stream).map((m) => xml('mechanism', {}, m)));
          if (inline.elements().length > 0) auth.append(inline);
          features.append(auth);
        },
        { priority: 45, owner: 'sasl2' },
      ),
      ctx.hooks.on(
        'negotiate',
        ({ stream, el }) => {
          if (el.attrs.xmlns === NS.sasl2 || stream.state !== 'authenticating' || !running.has(stream)) return 'continue';
          // §during: only <response/> or <abort/> while an exchange runs; anything else disconnects.
          stream.error('policy-violation', `<${el.name}/> during a SASL2 exchange`);
          return 'stop';
        },
        // before RFC 6120 SASL (50) and everything else that could claim the element
        { priority: 1000, owner: 'sasl2' },
      ),
      ctx.hooks.on(
        'negotiate',
        ({ stream, el }) => {
          if (el.attrs.xmlns !== NS.sasl2) return 'continue';
          if (el.name === 'authenticate' && stream.state === 'secured') running.add(stream);
          return handle(ctx, cfg, stream, el, agents).then(() => {
            if (stream.state !== 'authenticating') running.delete(stream);
            return 'stop';
          });
        },
        { priority: 45, owner: 'sasl2' },
      ),
    ];
  },
};

async function handle(
  ctx: EdgeContext,
  cfg: SaslConfig,
  stream: C2sStream,
  el: Element,
  agents: WeakMap<C2sStream, { request: Element; userAgent?: UserAgent }>,
): Promise<void> {
  if (stream.state !== 'secured' && stream.state !== 'authenticating') {
    return stream.error('policy-violation', 'authentication is over for this stream');
  }
  const ex = exchangeOf(stream);
  if (el.name === 'authenticate') {
    if (stream.state === 'authenticating') return stream.error('policy-violation', 'an authentication is already running');
    const userAgent = parseUserAgent(el.getChild('user-agent', NS.sasl2));
    const attempt = { request: el, userAgent };
    agents.set(stream, attempt);
    const wire = wireOf(ctx, stream, attempt);
    const name = el.attrs.mechanism ?? '';
    // Password mechanisms and OAUTHBEARER (RFC 7628) as on RFC 6120 SASL; FAST's HT-* through the hook.
    let mechanism: SaslMechanism | undefined = mechanismFor(ctx, cfg, stream, name);
    if (!mechanism && ex.advertised.includes(name)) {
      const ask: EdgeHooks['sasl2-mechanism'] = { stream, request: el, name, userAgent };
      await ctx.hooks.run('sasl2-mechanism', ask);
      mechanism = ask.mechanism;
    }
    const initial = el.getChild('initial-response', NS.sasl2);
    return begin(ctx, cfg, stream, ex, name, mechanism, initial ? initial.text().trim() || '=' : undefined, wire);
  }
  const attempt = agents.get(stream);
  const wire = wireOf(ctx, stream, attempt ?? { request: el });
  if (el.name === 'abort') return abort(stream, ex, wire);
  if (el.name !== 'response' || !ex.mechanism || !attempt) {
    ex.mechanism = undefined;
    return step(ctx, cfg, stream, ex, '', wire);
  }
  return step(ctx, cfg, stream, ex, el.text(), wire);
}

function wireOf(ctx: EdgeContext, stream: C2sStream, attempt: { request: Element; userAgent?: UserAgent }): SaslWire {
  const failure = (condition: string, text?: string, app?: Element) => {
    const el = xml('failure', { xmlns: NS.sasl2 }, xml(condition, { xmlns: NS.sasl }));
    if (app) el.append(app);
    if (text) el.append(xml('text', {}, text));
    stream.send(el);
  };
  return {
    challenge: (data) => stream.send(xml('challenge', { xmlns: NS.sasl2 }, data.toString('base64'))),
    failure,
    success: async (username, data) => {
      stream.authenticatedInline(jid(username, stream.domain));
      const success = xml('success', { xmlns: NS.sasl2 });
      if (data) success.append(xml('additional-data', {}, data.toString('base64')));
      let answered = false;
      const payload = {
        stream,
        request: attempt.request,
        userAgent: attempt.userAgent,
        success,
        refused: undefined as undefined | { condition: string; appCondition?: Element; text?: string },
        answered: () => answered,
        answer: async () => {
          if (answered || stream.state === 'closing' || stream.state === 'closed') return;
          answered = true;
          success.append(xml('authorization-identifier', {}, stream.jid!.toString()));
          stream.send(success);
          // §success: the features of the authenticated stream follow at once; no restart.
          await stream.sendFeatures();
        },
      };
      await ctx.hooks.run('sasl2-success', payload);
      if (answered || stream.state === 'closing' || stream.state === 'closed') return;
      if (payload.refused) {
        stream.unauthenticated();
        const { condition, appCondition, text } = payload.refused;
        return failure(condition, text, appCondition);
      }
      await payload.answer();
    },
  };
}
