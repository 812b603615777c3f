// SCRAM client (RFC 5802, RFC 7677) without channel binding ("n,,"): enough to log in as a real
// client does. PBKDF2 runs on libuv's thread pool so concurrent logins use every core.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'sha1' | 'sha256';

export const SCRAM_MECHANISMS: Record<string, ScramHash> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-1': 'sha1' };

/**
 * SaltedPassword by (hash, password, salt, iterations). RFC 5802 §5.1 lets a client cache it, as
 * mobile clients do; the server's work is the same either way (it stores StoredKey/ServerKey), so
 * caching keeps the generator's CPU on connection work instead of PBKDF2.
 */
const saltedCache = new Map<string, Buffer>();

export function exportSaltedCache(): Array<[string, string]> {
  return [...saltedCache].map(([k, v]) => [k, v.toString('base64')]);
}

export function importSaltedCache(entries: Array<[string, string]>): void {
  for (const [k, v] of entries) saltedCache.set(k, Buffer.from(v, 'base64'));
}

async function saltedPassword(hash: ScramHash, password: string, salt: string, iterations: number): Promise<Buffer> {
  const key = `${hash}\0${password}\0${salt}\0${iterations}`;
  let salted = saltedCache.get(key);
  if (!salted) {
    salted = await pbkdf2Async(password, Buffer.from(salt, 'base64'), iterations, HASH_BYTES[hash], hash);
    saltedCache.set(key, salted);
  }
  return salted;
}

const HASH_BYTES: Record<ScramHash, number> = { sha1: 20, sha256: 32 };

function hmac(hash: ScramHash, key: Buffer, data: string): Buffer {
  return createHmac(hash, key).update(data).digest();
}

function parseAttributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

export class ScramClient {
  private readonly clientFirstBare: string;
  private authMessage = '';
  private serverSignature: Buffer | undefined;

  constructor(
    readonly hash: ScramHash,
    private readonly username: string,
    private readonly password: string,
    private readonly clientNonce: string = randomBytes(18).toString('base64'),
  ) {
    this.clientFirstBare = `n=${saslName(username)},r=${clientNonce}`;
  }

  /** The initial response sent in `<auth/>` (before base64). */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** Answers the server's challenge with the client proof. */
  async clientFinal(serverFirst: string): Promise<string> {
    const attrs = parseAttributes(serverFirst);
    const nonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!nonce || !nonce.startsWith(this.clientNonce) || !salt || !Number.isInteger(iterations) || iterations < 1) {
      throw new Error(`bad SCRAM server-first-message: ${serverFirst}`);
    }
    const salted = await saltedPassword(this.hash, this.password, salt, iterations);
    const clientKey = hmac(this.hash, salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`;
    this.authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.hash, storedKey, this.authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ clientSignature[i]!;
    this.serverSignature = hmac(this.hash, hmac(this.hash, salted, 'Server Key'), this.authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Verifies the server's signature in the success message (mutual authentication). */
  verifyServerFinal(serverFinal: string): boolean {
    const v = parseAttributes(serverFinal).get('v');
    if (!v || !this.serverSignature) return false;
    const got = Buffer.from(v, 'base64');
    return got.length === this.serverSignature.length && timingSafeEqual(got, this.serverSignature);
  }
}
