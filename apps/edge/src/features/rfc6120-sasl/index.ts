import { OAuthBearerMechanism, type SaslMechanism, type SaslMechanismName } from '#libs/auth';
import { jid } from '#libs/jid';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';
import {
  abort,
  allowedMechanisms,
  b64,
  begin,
  exchangeOf,
  gatedLookup,
  passwordMechanism,
  saslConfigSchema,
  step,
  type SaslConfig,
  type SaslWire,
} from './sasl-exchange.js';

/**
 * RFC 6120 §6 SASL with the mechanisms of edge.saslMechanisms this connection can run: -PLUS only
 * with channel-binding data (RFC 9266 tls-exporter on TLS 1.3, RFC 5929 tls-server-end-point),
 * announced per XEP-0440. Attempts pass the failed-login back-off gate (per address and per
 * account, limits/auth-throttle.ts) before their credentials are checked; wrong credentials are
 * answered after the back-off; every failure is logged, rate-limited (limits/failed-login-log.ts).
 * The exchange itself (sasl-exchange.ts) is shared with XEP-0388 SASL2.
 */
export const saslFeature: EdgeFeature<SaslConfig> = {
  name: 'sasl',
  spec: { rfc: 6120, section: '6' },
  config: saslConfigSchema,
  setup: (ctx, cfg) => [
    ctx.hooks.on(
      'stream-features',
      ({ stream, features }) => {
        if (stream.state !== 'secured') return;
        const offered = offeredMechanisms(ctx, stream);
        exchangeOf(stream).advertised = offered;
        features.append(xml('mechanisms', { xmlns: NS.sasl }, ...offered.map((m) => xml('mechanism', {}, m))));
        // XEP-0440 only where SCRAM-PLUS can run (not on a directory domain).
        const bindings = offered.some((m) => m.endsWith('-PLUS')) ? Object.keys(stream.transport.channelBindings()) : [];
        if (bindings.length > 0) {
          features.append(xml('sasl-channel-binding', { xmlns: NS.channelBinding }, ...bindings.map((type) => xml('channel-binding', { type }))));
        }
      },
      { priority: 50, owner: 'sasl' },
    ),
    ctx.hooks.on('negotiate', ({ stream, el }) => (el.attrs.xmlns !== NS.sasl ? 'continue' : handle(ctx, cfg, stream, el).then(() => 'stop')), {
      priority: 50,
      owner: 'sasl',
    }),
  ],
};

/**
 * The password mechanisms of the domain (allowedMechanisms) this connection can run (-PLUS needs
 * channel binding), then OAUTHBEARER (RFC 7628) where the domain has single sign-on, inside TLS
 * only (§5: a bearer token must not cross an unencrypted link).
 */
export function offeredMechanisms(ctx: EdgeContext, stream: C2sStream): string[] {
  const bindings = Object.keys(stream.transport.channelBindings());
  const offered: string[] = allowedMechanisms(ctx, stream).filter((m) => !m.endsWith('-PLUS') || bindings.length > 0);
  if (ctx.tokens(stream.domain) && stream.transport.secure) offered.push(OAUTHBEARER);
  return offered;
}

export const OAUTHBEARER = 'OAUTHBEARER';

/** A fresh exchange for an offered mechanism name; undefined = not one this domain has. */
export function mechanismFor(ctx: EdgeContext, cfg: SaslConfig, stream: C2sStream, name: string): SaslMechanism | undefined {
  const ex = exchangeOf(stream);
  if (name === OAUTHBEARER) {
    const tokens = ctx.tokens(stream.domain);
    if (!tokens || !stream.transport.secure) return undefined;
    return new OAuthBearerMechanism({ domain: stream.domain, tokens, lookup: (username) => gatedLookup(ctx, stream, ex, username) });
  }
  const known = (allowedMechanisms(ctx, stream) as readonly string[]).includes(name);
  return known ? passwordMechanism(ctx, cfg, stream, ex, name as SaslMechanismName) : undefined;
}

async function handle(ctx: EdgeContext, cfg: SaslConfig, stream: C2sStream, el: Element): Promise<void> {
  if (stream.state !== 'secured' && stream.state !== 'authenticating') {
    return stream.error('policy-violation', 'authentication is over for this stream');
  }
  const ex = exchangeOf(stream);
  const wire = wireOf(stream);
  if (el.name === 'abort') return abort(stream, ex, wire);
  if (el.name === 'auth') {
    const name = el.attrs.mechanism ?? '';
    const mechanism = mechanismFor(ctx, cfg, stream, name);
    // RFC 6120 §6.4.2: no text = no initial response; '=' = an empty one.
    return begin(ctx, cfg, stream, ex, name, mechanism, el.text(), wire);
  }
  if (el.name !== 'response' || !ex.mechanism) {
    ex.mechanism = undefined;
    return step(ctx, cfg, stream, ex, '', wire);
  }
  return step(ctx, cfg, stream, ex, el.text(), wire);
}

function wireOf(stream: C2sStream): SaslWire {
  return {
    challenge: (data) => stream.send(xml('challenge', { xmlns: NS.sasl }, b64(data))),
    success: (username, data) => {
      stream.send(xml('success', { xmlns: NS.sasl }, data ? b64(data) : undefined));
      stream.authenticated(jid(username, stream.domain));
    },
    failure: (condition, text) => {
      const failure = xml('failure', { xmlns: NS.sasl }, xml(condition));
      if (text) failure.append(xml('text', {}, text));
      stream.send(failure);
    },
  };
}
