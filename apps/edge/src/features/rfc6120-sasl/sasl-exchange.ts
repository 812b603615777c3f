import { z } from 'zod';
import { createMechanism, type PasswordBackend, type SaslMechanism, type SaslMechanismName, type SaslStep } from '#libs/auth';
import type { EdgeContext } from '../../edge.context.js';
import type { C2sStream } from '../../stream/c2s-stream.machine.js';
import { countLogin } from '../../edge.metrics.js';

export const saslConfigSchema = z.strictObject({
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
export type SaslConfig = z.infer<typeof saslConfigSchema>;

/** One stream's authentication attempts (RFC 6120 SASL and XEP-0388 SASL2 share it: one count of failures). */
export interface Exchange {
  mechanism?: SaslMechanism;
  failures: number;
  advertised: string[];
  /** A -PLUS attempt failed over an unsupported channel-binding type (see toleratePlusMismatch). */
  bindingMismatch?: boolean;
  name?: string;
  /** Bare JID the current attempt names (known once the mechanism looked it up). */
  account?: string;
  /** The current attempt was refused by the lockout without checking its credentials. */
  lockedForMs?: number;
  /** The current attempt found the back-off queue full and was refused without a check. */
  busy?: boolean;
  /** performance.now() of the current attempt's start (glider_edge_login_duration_seconds). */
  startedAt?: number;
}

/** How one protocol (RFC 6120 §6 or XEP-0388) writes the outcome of a step. */
export interface SaslWire {
  challenge(data: Buffer): void;
  success(username: string, data: Buffer | undefined): Promise<void> | void;
  failure(condition: string, text?: string): void;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const exchanges = new WeakMap<C2sStream, Exchange>();
export function exchangeOf(stream: C2sStream): Exchange {
  let ex = exchanges.get(stream);
  if (!ex) exchanges.set(stream, (ex = { failures: 0, advertised: [] }));
  return ex;
}

/** The SCRAM/PLAIN exchange for `name`, its account lookups passing the back-off gate. */
export function passwordMechanism(ctx: EdgeContext, cfg: SaslConfig, stream: C2sStream, ex: Exchange, name: SaslMechanismName): SaslMechanism {
  return createMechanism(name, {
    domain: stream.domain,
    lookup: (username) => gatedLookup(ctx, stream, ex, username),
    channelBindings: stream.transport.channelBindings(),
    plusAdvertised: ex.advertised.some((m) => m.endsWith('-PLUS')) && !(cfg.toleratePlusMismatch && ex.bindingMismatch),
    passwords: gatedPasswords(ctx, stream, ex),
  });
}

/**
 * The password mechanisms this stream's domain allows: a directory domain (libs/directory) only
 * those that carry the password to be checked there (PLAIN, inside TLS); else edge.saslMechanisms.
 */
export function allowedMechanisms(ctx: EdgeContext, stream: C2sStream): readonly SaslMechanismName[] {
  return ctx.passwords(stream.domain)?.mechanisms ?? ctx.config.edge.saslMechanisms;
}

/** The domain's password backend, asked only when the back-off gate let the attempt through. */
function gatedPasswords(ctx: EdgeContext, stream: C2sStream, ex: Exchange): PasswordBackend | undefined {
  const backend = ctx.passwords(stream.domain);
  if (!backend) return undefined;
  return {
    mechanisms: backend.mechanisms,
    verify: (username, password) => {
      // Locked or queue full: answered by the exchange without the directory being asked.
      if (ex.lockedForMs !== undefined || ex.busy) return Promise.resolve({ kind: 'invalid' });
      return backend.verify(username, password);
    },
  };
}

/** An attempt starts: `mechanism` undefined = the name was not offered (<invalid-mechanism/>). */
export async function begin(
  ctx: EdgeContext,
  cfg: SaslConfig,
  stream: C2sStream,
  ex: Exchange,
  name: string,
  mechanism: SaslMechanism | undefined,
  initial: string | undefined,
  wire: SaslWire,
): Promise<void> {
  if (!mechanism || !ex.advertised.includes(name)) {
    countLogin(name, false, undefined);
    logFailure(ctx, stream, { ...ex, account: undefined, name }, 'invalid-mechanism');
    return wire.failure('invalid-mechanism');
  }
  ex.account = undefined;
  ex.lockedForMs = undefined;
  ex.busy = undefined;
  ex.mechanism = mechanism;
  ex.name = name;
  ex.startedAt = performance.now();
  stream.state = 'authenticating';
  // RFC 6120 §6.4.2: no initial response = ask for it with an empty challenge.
  if (initial === undefined || initial === '') return wire.challenge(Buffer.alloc(0));
  return step(ctx, cfg, stream, ex, initial, wire);
}

/** The client's data for the current attempt (initial response or a response to a challenge). */
export async function step(ctx: EdgeContext, cfg: SaslConfig, stream: C2sStream, ex: Exchange, raw: string, wire: SaslWire): Promise<void> {
  if (!ex.mechanism) {
    stream.state = 'secured';
    logFailure(ctx, stream, ex, 'malformed-request');
    return wire.failure('malformed-request');
  }
  const text = raw.replace(/\s+/g, '');
  if (text !== '=' && !BASE64.test(text)) {
    ex.mechanism = undefined;
    stream.state = 'secured';
    logFailure(ctx, stream, ex, 'incorrect-encoding');
    return wire.failure('incorrect-encoding');
  }
  let result: SaslStep;
  try {
    result = await ex.mechanism.step(text === '=' ? Buffer.alloc(0) : Buffer.from(text, 'base64'));
  } catch (err) {
    stream.log.error({ err }, 'SASL step failed');
    result = { kind: 'failure', condition: 'temporary-auth-failure' };
  }
  if (stream.state !== 'authenticating') return; // closed meanwhile
  if (result.kind === 'challenge') return wire.challenge(result.data);
  ex.mechanism = undefined;
  if (result.kind === 'success') {
    countLogin(ex.name, true, ex.startedAt);
    ctx.throttle.succeeded(`${result.username}@${stream.domain}`);
    stream.log.info({ jid: `${result.username}@${stream.domain}`, mechanism: ex.name }, 'authenticated');
    return wire.success(result.username, result.data);
  }
  stream.state = 'secured';
  if (ex.name?.endsWith('-PLUS') && result.text === 'unsupported-channel-binding-type') ex.bindingMismatch = true;
  if (ex.lockedForMs !== undefined) {
    // RFC 6120 §6.5.1: the account is temporarily disabled; its credentials were not checked.
    result = { kind: 'failure', condition: 'account-disabled', text: `too many failed logins; try again in ${Math.ceil(ex.lockedForMs / 1000)} s` };
    logFailure(ctx, stream, ex, 'account-disabled: locked out');
  } else if (ex.busy) {
    // RFC 6120 §6.5.10: try again later; too many attempts are already waiting their turn.
    result = { kind: 'failure', condition: 'temporary-auth-failure', text: 'too many login attempts; try again later' };
    logFailure(ctx, stream, ex, 'temporary-auth-failure: back-off queue full');
  } else if ((result.condition === 'not-authorized' || result.condition === 'account-disabled') && !result.text) {
    // Wrong credentials (not a protocol mismatch such as an unsupported channel-binding type):
    // back off before answering, so guessing costs time (DESIGN.md security defaults).
    const wait = ctx.throttle.failed(stream.transport.remoteAddress, ex.account);
    logFailure(ctx, stream, ex, result.condition);
    await ctx.delay(wait, 'answer');
    if (stream.state !== 'secured') return;
  } else {
    logFailure(ctx, stream, ex, result.text ? `${result.condition}: ${result.text}` : result.condition);
  }
  const { condition, text: why } = result;
  countLogin(ex.name, false, ex.startedAt);
  countFailure(ctx, cfg, stream, ex, () => wire.failure(condition, why));
}

/** An abort (RFC 6120 §6.4.4 / XEP-0388): the attempt ends, <aborted/>. */
export function abort(stream: C2sStream, ex: Exchange, wire: SaslWire): void {
  ex.mechanism = undefined;
  stream.state = 'secured';
  wire.failure('aborted');
}

function countFailure(ctx: EdgeContext, cfg: SaslConfig, stream: C2sStream, ex: Exchange, answer: () => void): void {
  answer();
  ex.failures++;
  ctx.stats.authFailures++;
  if (ex.failures >= cfg.maxAttempts) stream.error('policy-violation', 'too many failed authentication attempts');
}

/**
 * The mechanism names the account here, before any credential is checked: the back-off gate waits
 * now (so an attacker who closes early gains nothing), and a locked account looks like an unknown
 * one to the mechanism (its password is never checked) and is answered <account-disabled/>.
 */
export async function gatedLookup(ctx: EdgeContext, stream: C2sStream, ex: Exchange, username: string) {
  if (!(await admit(ctx, stream, ex, username))) return undefined;
  return ctx.storage.accounts.get(username, stream.domain);
}

/** The back-off gate alone (a token lookup passes it too); false = refused without a check. */
export async function admit(ctx: EdgeContext, stream: C2sStream, ex: Exchange, username: string): Promise<boolean> {
  const account = `${username}@${stream.domain}`;
  ex.account = account;
  const admission = ctx.throttle.admit(stream.transport.remoteAddress, account);
  if (admission.kind !== 'go') {
    if (admission.kind === 'locked') ex.lockedForMs = admission.retryAfterMs;
    else ex.busy = true;
    return false;
  }
  if (admission.waitMs > 0) await ctx.delay(admission.waitMs, 'gate');
  return true;
}

function logFailure(ctx: EdgeContext, stream: C2sStream, ex: Exchange, reason: string): void {
  ctx.failedLogins.record({ account: ex.account, address: stream.transport.remoteAddress, mechanism: ex.name, reason });
}

/** RFC 6120 §6.4.2: zero-length data is sent as '='. */
export function b64(data: Buffer): string {
  return data.length === 0 ? '=' : data.toString('base64');
}
