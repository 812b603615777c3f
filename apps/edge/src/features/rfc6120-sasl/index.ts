import { z } from 'zod';
import { createMechanism, type PasswordBackend, type SaslMechanism, type SaslMechanismName, type SaslStep } from '#libs/auth';
import { jid } from '#libs/jid';
import { xml, type Element } from '#libs/xml';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { NS } from '#libs/stanza';
import type { EdgeFeature } from '../edge-feature.js';
import { countLogin } from '../../edge.metrics.js';

const configSchema = z.strictObject({
  /** RFC 6120 §6.4.5: retries allowed before the stream is closed (at least 2, at most 5). */
  maxAttempts: z.number().int().min(2).max(5).default(3),
  /**
   * After a -PLUS attempt on this stream failed only because the client's channel-binding type is
   * not one we offer (e.g. tls-unique from slixmpp ≤ 1.8 on TLS 1.3), accept the client's 'y' flag
   * on its next SCRAM attempt instead of calling it a downgrade (RFC 5802 §6). The client has shown
   * it saw -PLUS; the cost is that an active MITM could mimic that failure. Off = strict.
   */
  toleratePlusMismatch: z.boolean().default(true),
});
type SaslConfig = z.infer<typeof configSchema>;

interface Exchange {
  mechanism?: SaslMechanism;
  failures: number;
  advertised: SaslMechanismName[];
  /** A -PLUS attempt failed over an unsupported channel-binding type (see toleratePlusMismatch). */
  bindingMismatch?: boolean;
  name?: SaslMechanismName;
  /** Bare JID the current attempt names (known once the mechanism looked it up). */
  account?: string;
  /** The current attempt was refused by the lockout without checking its credentials. */
  lockedForMs?: number;
  /** The current attempt found the back-off queue full and was refused without a check. */
  busy?: boolean;
  /** performance.now() of the current attempt's <auth/> (glider_edge_login_duration_seconds). */
  startedAt?: number;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * RFC 6120 §6 SASL with the mechanisms of edge.saslMechanisms this connection can run: -PLUS only
 * with channel-binding data (RFC 9266 tls-exporter on TLS 1.3, RFC 5929 tls-server-end-point),
 * announced per XEP-0440. Attempts pass the failed-login back-off gate (per address and per
 * account, limits/auth-throttle.ts) before their credentials are checked; wrong credentials are
 * answered after the back-off; every failure is logged, rate-limited (limits/failed-login-log.ts).
 */
export const saslFeature: EdgeFeature<SaslConfig> = {
  name: 'sasl',
  spec: { rfc: 6120, section: '6' },
  config: configSchema,
  setup: (ctx, cfg) => {
    const exchanges = new WeakMap<C2sStream, Exchange>();
    const exchangeOf = (stream: C2sStream): Exchange => {
      let ex = exchanges.get(stream);
      if (!ex) exchanges.set(stream, (ex = { failures: 0, advertised: [] }));
      return ex;
    };
    return [
      ctx.hooks.on(
        'stream-features',
        ({ stream, features }) => {
          if (stream.state !== 'secured') return;
          const passwords = ctx.passwords(stream.domain);
          // A directory domain: only mechanisms that carry the password to be checked there (PLAIN, inside TLS).
          const bindings = passwords ? [] : Object.keys(stream.transport.channelBindings());
          const offered = passwords ? [...passwords.mechanisms] : ctx.config.edge.saslMechanisms.filter((m) => !m.endsWith('-PLUS') || bindings.length > 0);
          exchangeOf(stream).advertised = offered;
          features.append(xml('mechanisms', { xmlns: NS.sasl }, ...offered.map((m) => xml('mechanism', {}, m))));
          if (bindings.length > 0) {
            features.append(xml('sasl-channel-binding', { xmlns: NS.channelBinding }, ...bindings.map((type) => xml('channel-binding', { type }))));
          }
        },
        { priority: 50, owner: 'sasl' },
      ),
      ctx.hooks.on(
        'negotiate',
        async ({ stream, el }) => {
          if (el.attrs.xmlns !== NS.sasl) return 'continue';
          await handle(ctx, cfg, stream, exchangeOf(stream), el);
          return 'stop';
        },
        { priority: 50, owner: 'sasl' },
      ),
    ];
  },
};

async function handle(ctx: EdgeContext, cfg: SaslConfig, stream: C2sStream, ex: Exchange, el: Element): Promise<void> {
  if (stream.state !== 'secured' && stream.state !== 'authenticating') {
    return stream.error('policy-violation', 'authentication is over for this stream');
  }
  if (el.name === 'abort') {
    ex.mechanism = undefined;
    stream.state = 'secured';
    return fail(stream, 'aborted');
  }
  if (el.name === 'auth') {
    const name = el.attrs.mechanism as SaslMechanismName;
    if (!ex.advertised.includes(name)) {
      countLogin(name, false, undefined);
      logFailure(ctx, stream, { ...ex, account: undefined, name }, 'invalid-mechanism');
      return fail(stream, 'invalid-mechanism');
    }
    ex.account = undefined;
    ex.lockedForMs = undefined;
    ex.busy = undefined;
    ex.mechanism = createMechanism(name, {
      domain: stream.domain,
      lookup: (username) => gatedLookup(ctx, stream, ex, username),
      channelBindings: stream.transport.channelBindings(),
      plusAdvertised: ex.advertised.some((m) => m.endsWith('-PLUS')) && !(cfg.toleratePlusMismatch && ex.bindingMismatch),
      passwords: gatedPasswords(ctx, stream, ex),
    });
    ex.name = name;
    ex.startedAt = performance.now();
    stream.state = 'authenticating';
    // RFC 6120 §6.4.2: no text = no initial response (ask for it with an empty challenge); '=' = empty.
    if (el.text() === '') return stream.send(xml('challenge', { xmlns: NS.sasl }));
  } else if (el.name !== 'response' || !ex.mechanism) {
    ex.mechanism = undefined;
    stream.state = 'secured';
    logFailure(ctx, stream, ex, 'malformed-request');
    return fail(stream, 'malformed-request');
  }
  const text = el.text().replace(/\s+/g, '');
  if (text !== '=' && !BASE64.test(text)) {
    ex.mechanism = undefined;
    stream.state = 'secured';
    logFailure(ctx, stream, ex, 'incorrect-encoding');
    return fail(stream, 'incorrect-encoding');
  }
  let step: SaslStep;
  try {
    step = await ex.mechanism.step(text === '=' ? Buffer.alloc(0) : Buffer.from(text, 'base64'));
  } catch (err) {
    stream.log.error({ err }, 'SASL step failed');
    step = { kind: 'failure', condition: 'temporary-auth-failure' };
  }
  if (stream.state !== 'authenticating') return; // closed meanwhile
  if (step.kind === 'challenge') return stream.send(xml('challenge', { xmlns: NS.sasl }, b64(step.data)));
  ex.mechanism = undefined;
  if (step.kind === 'success') {
    countLogin(ex.name, true, ex.startedAt);
    ctx.throttle.succeeded(`${step.username}@${stream.domain}`);
    stream.log.info({ jid: `${step.username}@${stream.domain}` }, 'authenticated');
    stream.send(xml('success', { xmlns: NS.sasl }, step.data ? b64(step.data) : undefined));
    return stream.authenticated(jid(step.username, stream.domain));
  }
  stream.state = 'secured';
  if (ex.name?.endsWith('-PLUS') && step.text === 'unsupported-channel-binding-type') ex.bindingMismatch = true;
  if (ex.lockedForMs !== undefined) {
    // RFC 6120 §6.5.1: the account is temporarily disabled; its credentials were not checked.
    step = { kind: 'failure', condition: 'account-disabled', text: `too many failed logins; try again in ${Math.ceil(ex.lockedForMs / 1000)} s` };
    logFailure(ctx, stream, ex, 'account-disabled: locked out');
  } else if (ex.busy) {
    // RFC 6120 §6.5.10: try again later; too many attempts are already waiting their turn.
    step = { kind: 'failure', condition: 'temporary-auth-failure', text: 'too many login attempts; try again later' };
    logFailure(ctx, stream, ex, 'temporary-auth-failure: back-off queue full');
  } else if ((step.condition === 'not-authorized' || step.condition === 'account-disabled') && !step.text) {
    // Wrong credentials (not a protocol mismatch such as an unsupported channel-binding type):
    // back off before answering, so guessing costs time (DESIGN.md security defaults).
    const wait = ctx.throttle.failed(stream.transport.remoteAddress, ex.account);
    logFailure(ctx, stream, ex, step.condition);
    await ctx.delay(wait, 'answer');
    if (stream.state !== 'secured') return;
  } else {
    logFailure(ctx, stream, ex, step.text ? `${step.condition}: ${step.text}` : step.condition);
  }
  fail(stream, step.condition, step.text);
  countLogin(ex.name, false, ex.startedAt);
  ex.failures++;
  ctx.stats.authFailures++;
  if (ex.failures >= cfg.maxAttempts) stream.error('policy-violation', 'too many failed authentication attempts');
}

/**
 * The mechanism names the account here, before any credential is checked: the back-off gate waits
 * now (so an attacker who closes early gains nothing), and a locked account looks like an unknown
 * one to the mechanism (its password is never checked) and is answered <account-disabled/>.
 */
async function gatedLookup(ctx: EdgeContext, stream: C2sStream, ex: Exchange, username: string) {
  const account = `${username}@${stream.domain}`;
  ex.account = account;
  const admission = ctx.throttle.admit(stream.transport.remoteAddress, account);
  if (admission.kind !== 'go') {
    if (admission.kind === 'locked') ex.lockedForMs = admission.retryAfterMs;
    else ex.busy = true;
    return undefined;
  }
  if (admission.waitMs > 0) await ctx.delay(admission.waitMs, 'gate');
  return ctx.storage.accounts.get(username, stream.domain);
}

/** The domain's password backend, asked only when the back-off gate let the attempt through. */
function gatedPasswords(ctx: EdgeContext, stream: C2sStream, ex: Exchange): PasswordBackend | undefined {
  const backend = ctx.passwords(stream.domain);
  if (!backend) return undefined;
  return {
    mechanisms: backend.mechanisms,
    verify: (username, password) => {
      // Locked or queue full: answered by handle() without the directory being asked.
      if (ex.lockedForMs !== undefined || ex.busy) return Promise.resolve({ kind: 'invalid' });
      return backend.verify(username, password);
    },
  };
}

function logFailure(ctx: EdgeContext, stream: C2sStream, ex: Exchange, reason: string): void {
  ctx.failedLogins.record({ account: ex.account, address: stream.transport.remoteAddress, mechanism: ex.name, reason });
}

function fail(stream: C2sStream, condition: string, text?: string): void {
  const failure = xml('failure', { xmlns: NS.sasl }, xml(condition));
  if (text) failure.append(xml('text', {}, text));
  stream.send(failure);
}

/** RFC 6120 §6.4.2: zero-length data is sent as '='. */
function b64(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}
