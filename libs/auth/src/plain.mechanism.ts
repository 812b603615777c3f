import { fakeCredential } from './fake-credential.js';
import { keysFromSalted, saltedPassword } from './scram-credentials.js';
import { safeEqual } from './scram.mechanism.js';
import type { Account } from '#libs/storage';
import type { PasswordBackend } from './password-backend.js';
import { failure, type SaslContext, type SaslMechanism, type SaslStep } from './sasl.types.js';
import { normalizeBareJid, normalizeUsername } from './username.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * RFC 4616 PLAIN, checked against the stored SCRAM-SHA-256 key (the password is never stored).
 * The edge offers it only inside TLS. An unknown user costs the same PBKDF2 as a known one.
 */
export class PlainMechanism implements SaslMechanism {
  private asked = false;
  private done = false;

  constructor(private readonly ctx: SaslContext) {}

  async step(input: Buffer): Promise<SaslStep> {
    if (this.done) return failure('malformed-request', 'the exchange is over');
    if (input.length === 0 && !this.asked) {
      this.asked = true;
      return { kind: 'challenge', data: Buffer.alloc(0) };
    }
    this.done = true;
    let text: string;
    try {
      text = utf8.decode(input);
    } catch {
      return failure('incorrect-encoding', 'not UTF-8');
    }
    const parts = text.split('\0');
    if (parts.length !== 3 || parts[1] === '' || parts[2] === '') return failure('malformed-request', 'expected [authzid] NUL authcid NUL passwd');
    const [authzid, authcid, password] = parts as [string, string, string];
    const username = normalizeUsername(authcid);
    if (!username) return failure('not-authorized');
    if (authzid !== '' && normalizeBareJid(authzid) !== `${username}@${this.ctx.domain}`) return failure('invalid-authzid');

    const account = await this.ctx.lookup(username);
    if (this.ctx.passwords) return this.external(this.ctx.passwords, username, password, account);
    const credential = account?.scram['SHA-256'] ?? fakeCredential('SHA-256', username);
    const salted = await saltedPassword('SHA-256', password, Buffer.from(credential.salt, 'base64'), credential.iterations);
    const { storedKey } = keysFromSalted('SHA-256', salted);
    const valid = safeEqual(storedKey, Buffer.from(credential.storedKey, 'base64')) && account !== undefined;
    if (!valid) return failure('not-authorized');
    if (account.disabled) return failure('account-disabled');
    return { kind: 'success', username };
  }

  private async external(backend: PasswordBackend, username: string, password: string, account: Account | undefined): Promise<SaslStep> {
    const verdict = await backend.verify(username, password);
    switch (verdict.kind) {
      case 'valid':
        // An administrator's local switch (gliderctl user disable) holds for directory users too.
        return account?.disabled ? failure('account-disabled') : { kind: 'success', username };
      case 'invalid':
        return failure('not-authorized');
      case 'disabled':
        return failure('account-disabled');
      case 'expired':
        return failure('credentials-expired');
      case 'unavailable':
        return failure('temporary-auth-failure', 'the directory cannot be reached; try again later');
    }
  }
}
