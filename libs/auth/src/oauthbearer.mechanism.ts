import type { Account } from '#libs/storage';
import { failure, type SaslMechanism, type SaslStep } from './sasl.types.js';
import type { TokenBackend } from './token-backend.js';

export interface OAuthBearerContext {
  domain: string;
  tokens: TokenBackend;
  /** The account the token names (through the failed-login gate); undefined = none or refused by the gate. */
  lookup(username: string): Promise<Account | undefined>;
}

const KVSEP = '\x01';
/** RFC 7628 §3.1 auth-value: "Bearer" 1*SP b64token (RFC 6750 §2.1), the scheme case-insensitive. */
const BEARER = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * SASL OAUTHBEARER (RFC 7628) on the server: one client message (GS2 header, then key=value pairs
 * separated by %x01) carrying `auth=Bearer <token>`. A token the backend refuses is answered, per
 * §3.2.2, with a challenge holding the JSON error (status invalid_token, the scope, the provider's
 * openid-configuration); the client then sends %x01 alone and gets the SASL failure:
 * not-authorized, or credentials-expired for an expired token (RFC 6120 §6.5.3).
 * Channel binding (gs2 'p') is not defined for OAUTHBEARER here: refused as malformed.
 */
export class OAuthBearerMechanism implements SaslMechanism {
  private pending: SaslStep | undefined;
  private done = false;

  constructor(private readonly ctx: OAuthBearerContext) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.done) return failure('malformed-request');
    if (this.pending) {
      // §3.2.3: after the error, the client's dummy response is a single %x01.
      const answer = input.toString('utf8') === KVSEP ? this.pending : failure('malformed-request');
      this.done = true;
      return answer;
    }
    const parsed = parse(input.toString('utf8'));
    if (typeof parsed === 'string') {
      this.done = true;
      return failure('malformed-request', parsed);
    }
    const verdict = await this.ctx.tokens.verify(parsed.token);
    if (verdict.kind === 'unavailable') {
      this.done = true;
      return failure('temporary-auth-failure', 'the identity provider could not be reached');
    }
    if (verdict.kind !== 'valid') {
      this.pending = verdict.kind === 'expired' ? failure('credentials-expired', 'token expired') : failure('not-authorized', verdict.reason);
      return { kind: 'challenge', data: Buffer.from(JSON.stringify(this.errorBody()), 'utf8') };
    }
    this.done = true;
    const { username } = verdict;
    if (parsed.authzid !== undefined && parsed.authzid !== `${username}@${this.ctx.domain}` && parsed.authzid !== username) {
      return failure('invalid-authzid', 'the token names another user');
    }
    const account = await this.ctx.lookup(username);
    if (!account) return failure('not-authorized', 'no account for the token’s user');
    if (account.disabled) return failure('account-disabled');
    return { kind: 'success', username };
  }

  private errorBody(): Record<string, string> {
    const body: Record<string, string> = { status: 'invalid_token', 'openid-configuration': this.ctx.tokens.openidConfiguration };
    if (this.ctx.tokens.scope) body.scope = this.ctx.tokens.scope;
    return body;
  }
}

/** RFC 7628 §3.1 client-resp with its RFC 5801 GS2 header; a string = why it is malformed. */
export function parse(text: string): { token: string; authzid?: string } | string {
  const m = /^([ny]),(a=[^,]*)?,/.exec(text);
  if (!m) return 'expected a GS2 header n,[a=authzid], (channel binding is not supported)';
  const rest = text.slice(m[0].length);
  if (!rest.startsWith(KVSEP) || !rest.endsWith(KVSEP + KVSEP)) return 'expected %x01 key=value pairs ending in %x01%x01';
  const pairs = rest.slice(1, -2).split(KVSEP);
  let token: string | undefined;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z]+$/.test(pair.slice(0, eq))) return 'malformed key=value pair';
    if (pair.slice(0, eq) !== 'auth') continue; // host, port and extensions are informative
    if (token !== undefined) return 'auth given twice';
    const bearer = BEARER.exec(pair.slice(eq + 1));
    if (!bearer) return 'auth must be "Bearer <token>"';
    token = bearer[1]!;
  }
  if (token === undefined) return 'no auth=Bearer pair';
  const authzid = m[2] ? decodeSaslName(m[2].slice(2)) : undefined;
  if (authzid === null) return 'malformed authzid';
  return authzid === undefined || authzid === '' ? { token } : { token, authzid };
}

/** RFC 5801 saslname: ',' as =2C and '=' as =3D; null = a stray '='. */
function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}
