import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScramCredential } from '#libs/storage';
import { fakeCredential } from './fake-credential.js';
import { digest, hmac, type ScramHash } from './scram-credentials.js';
import { failure, type ChannelBindingType, type SaslContext, type SaslMechanism, type SaslStep } from './sasl.types.js';
import { normalizeBareJid, normalizeUsername } from './username.js';

export interface ScramOptions {
  hash: ScramHash;
  /** The -PLUS variant: the client must bind to the TLS channel (RFC 5802 §6, XEP-0440). */
  plus: boolean;
  /** Test hook: the server's part of the nonce (RFC example exchanges). */
  serverNonce?: () => string;
}

type State =
  | { phase: 'initial'; emptyChallengeSent: boolean }
  | {
      phase: 'first-sent';
      username: string;
      exists: boolean;
      disabled: boolean;
      credential: ScramCredential;
      nonce: string;
      gs2Header: string;
      cbData: Buffer;
      authMessagePrefix: string;
    }
  | { phase: 'done' };

const CB_NAME = /^[A-Za-z0-9.-]+$/;
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/; // printable ASCII except ','
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RFC 5802 SCRAM (RFC 7677 for SHA-256) server side, with -PLUS channel binding (RFC 9266, RFC 5929). */
export class ScramMechanism implements SaslMechanism {
  private state: State = { phase: 'initial', emptyChallengeSent: false };

  constructor(
    private readonly ctx: SaslContext,
    private readonly opts: ScramOptions,
  ) {}

  async step(input: Buffer): Promise<SaslStep> {
    const state = this.state;
    if (state.phase === 'done') return failure('malformed-request', 'the exchange is over');
    let text: string;
    try {
      text = utf8.decode(input);
    } catch {
      return this.fail('incorrect-encoding', 'not UTF-8');
    }
    if (state.phase === 'initial') {
      // RFC 6120 §6.4.2: no initial response → an empty challenge asks for the client-first-message
      if (text === '' && !state.emptyChallengeSent) {
        state.emptyChallengeSent = true;
        return { kind: 'challenge', data: Buffer.alloc(0) };
      }
      return this.clientFirst(text);
    }
    return this.clientFinal(text, state);
  }

  private fail(condition: Parameters<typeof failure>[0], text?: string): SaslStep {
    this.state = { phase: 'done' };
    return failure(condition, text);
  }

  private async clientFirst(msg: string): Promise<SaslStep> {
    const parts = msg.split(',');
    if (parts.length < 4) return this.fail('malformed-request', 'client-first-message is incomplete');
    const [flag, authzPart] = parts as [string, string];
    const gs2Header = `${flag},${authzPart},`;
    const bare = parts.slice(2);
    if (bare[0]!.startsWith('m=')) return this.fail('malformed-request', 'extensions-not-supported');

    const binding = this.checkBindingFlag(flag);
    if ('condition' in binding) return binding.condition;

    if (!bare[0]!.startsWith('n=') || !bare[1]!.startsWith('r=')) return this.fail('malformed-request', 'expected n= then r=');
    const decoded = decodeSaslName(bare[0]!.slice(2));
    if (decoded === undefined) return this.fail('malformed-request', 'invalid-username-encoding');
    const username = normalizeUsername(decoded);
    if (!username) return this.fail('not-authorized', 'invalid username');
    const clientNonce = bare[1]!.slice(2);
    if (!NONCE.test(clientNonce)) return this.fail('malformed-request', 'invalid nonce');

    if (authzPart !== '') {
      if (!authzPart.startsWith('a=')) return this.fail('malformed-request', 'invalid gs2 header');
      const authz = decodeSaslName(authzPart.slice(2));
      if (authz === undefined || normalizeBareJid(authz) !== `${username}@${this.ctx.domain}`) {
        return this.fail('invalid-authzid');
      }
    }

    const account = await this.ctx.lookup(username);
    const credential = account?.scram[this.opts.hash] ?? fakeCredential(this.opts.hash, username);
    const nonce = clientNonce + (this.opts.serverNonce?.() ?? randomBytes(18).toString('base64'));
    const serverFirst = `r=${nonce},s=${credential.salt},i=${credential.iterations}`;
    this.state = {
      phase: 'first-sent',
      username,
      exists: account !== undefined,
      disabled: account?.disabled ?? false,
      credential,
      nonce,
      gs2Header,
      cbData: binding.data,
      authMessagePrefix: `${bare.join(',')},${serverFirst}`,
    };
    return { kind: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  /** RFC 5802 §6 and §7: the gs2 flag against what was offered; returns the channel's binding data. */
  private checkBindingFlag(flag: string): { data: Buffer } | { condition: SaslStep } {
    if (flag === 'n' || flag === 'y') {
      if (this.opts.plus) return { condition: this.fail('malformed-request', 'a -PLUS mechanism requires p=') };
      // 'y': the client can bind but thinks we cannot; if we advertised -PLUS, someone stripped it
      if (flag === 'y' && this.ctx.plusAdvertised) return { condition: this.fail('not-authorized', 'channel binding downgrade') };
      return { data: Buffer.alloc(0) };
    }
    if (!flag.startsWith('p=') || !CB_NAME.test(flag.slice(2))) {
      return { condition: this.fail('malformed-request', 'invalid gs2 channel-binding flag') };
    }
    if (!this.opts.plus) return { condition: this.fail('malformed-request', 'p= needs a -PLUS mechanism') };
    if (!this.ctx.channelBindings) return { condition: this.fail('not-authorized', 'channel-binding-not-supported') };
    const data = this.ctx.channelBindings[flag.slice(2) as ChannelBindingType];
    if (!data) return { condition: this.fail('not-authorized', 'unsupported-channel-binding-type') };
    return { data };
  }

  private clientFinal(msg: string, s: Extract<State, { phase: 'first-sent' }>): SaslStep {
    const proofAt = msg.lastIndexOf(',p=');
    if (!msg.startsWith('c=') || proofAt < 0) return this.fail('malformed-request', 'expected c=, r= and p=');
    const withoutProof = msg.slice(0, proofAt);
    const attrs = withoutProof.split(',');
    if (attrs.length < 2 || !attrs[1]!.startsWith('r=')) return this.fail('malformed-request', 'expected c=, r= and p=');
    const proofText = msg.slice(proofAt + 3);
    const cbText = attrs[0]!.slice(2);
    if (!BASE64.test(proofText) || !BASE64.test(cbText)) return this.fail('malformed-request', 'invalid base64');

    const expectedCb = Buffer.concat([Buffer.from(s.gs2Header, 'utf8'), s.cbData]);
    if (!safeEqual(Buffer.from(cbText, 'base64'), expectedCb)) return this.fail('not-authorized', 'channel-bindings-dont-match');
    if (!safeEqual(Buffer.from(attrs[1]!.slice(2), 'utf8'), Buffer.from(s.nonce, 'utf8'))) {
      return this.fail('not-authorized', 'nonce mismatch');
    }

    const { hash } = this.opts;
    const authMessage = `${s.authMessagePrefix},${withoutProof}`;
    const storedKey = Buffer.from(s.credential.storedKey, 'base64');
    const proof = Buffer.from(proofText, 'base64');
    const signature = hmac(hash, storedKey, authMessage);
    const clientKey = proof.length === signature.length ? xor(proof, signature) : Buffer.alloc(signature.length);
    const valid = safeEqual(digest(hash, clientKey), storedKey) && proof.length === signature.length && s.exists;
    this.state = { phase: 'done' };
    if (!valid) return failure('not-authorized');
    if (s.disabled) return failure('account-disabled');
    const serverSignature = hmac(hash, Buffer.from(s.credential.serverKey, 'base64'), authMessage);
    return { kind: 'success', data: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), username: s.username };
  }
}

/** saslname of RFC 5802 §7: ',' and '=' travel as =2C and =3D; any other '=' is an error. */
function decodeSaslName(value: string): string | undefined {
  if (/=(?!2C|3D)/.test(value)) return undefined;
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Constant time for equal lengths; lengths are public here (hash sizes, header shapes). */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
