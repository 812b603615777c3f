import { hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * The XEP-0185 secret dialback keys are made with. Every edge must hold the same one, since the
 * edge that answers a `<db:verify/>` (the Authoritative Server, reached through DNS) is often not the
 * one that made the key (XEP-0220 §1.2: "a shared secret known to all XMPP servers within a given
 * administrative domain", §1.3 "Authoritative Server"); and XEP-0185 §2 note 3: it comes from configuration or is random at start,
 * never from talking to other servers or a database. So: `s2s.dialbackSecretFile` when set (a mounted
 * Secret); else derived (HKDF-SHA256, its own label) from the TLS private key every edge of the
 * deployment already holds. A certificate rotation derives a new one and keeps the previous for
 * verification, so keys made by an edge that has not reloaded yet still verify. Without a key (a
 * listener-less test server) the secret is random at start, which XEP-0185 allows for one process.
 */
export class DialbackSecret {
  private current: string;
  private previous: string | undefined;

  constructor(
    private readonly file: string | undefined,
    tlsKey: string | Buffer | undefined,
  ) {
    this.current = file ? readSecretFile(file) : tlsKey !== undefined ? derive(tlsKey) : randomBytes(32).toString('hex');
  }

  /** The secret new keys are made with. */
  get(): string {
    return this.current;
  }

  /** The secrets a key may have been made with: the current one, then the one before a rotation. */
  all(): string[] {
    return this.previous === undefined ? [this.current] : [this.current, this.previous];
  }

  /** The TLS key changed (certificate rotation): derive again unless the secret comes from its file. */
  rotate(tlsKey: string | Buffer | undefined): void {
    if (this.file || tlsKey === undefined) return;
    const next = derive(tlsKey);
    if (next === this.current) return;
    this.previous = this.current;
    this.current = next;
  }
}

function derive(tlsKey: string | Buffer): string {
  return Buffer.from(hkdfSync('sha256', tlsKey, 'glider', 'xep-0185 dialback secret', 32)).toString('hex');
}

function readSecretFile(file: string): string {
  const secret = readFileSync(file, 'utf8').trim();
  if (!secret) throw new Error(`s2s.dialbackSecretFile ${file} is empty`);
  return secret;
}
