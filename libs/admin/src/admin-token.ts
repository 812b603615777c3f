import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureSecretFile, type GliderConfig } from '#libs/config';

/**
 * The admin API's bearer token (docs/security.md): a file holding one line, `admin.tokenFile`, by
 * default `<dataDir>/admin-token`. The server makes it on first start (0600, 32 random bytes); a
 * client (gliderctl) reads the same file and sends `authorization: Bearer <token>` with every call.
 */
export function adminTokenPath(config: Pick<GliderConfig, 'admin' | 'dataDir'>): string {
  return resolve(config.admin.tokenFile ?? join(config.dataDir, 'admin-token'));
}

/** Reads the token, making the file first when there is none (two processes racing agree: 'wx'). */
export function ensureAdminToken(path: string): string {
  return ensureSecretFile(path, readAdminToken);
}

export function readAdminToken(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) throw new Error(`${path}: the admin token must be at least 16 characters`);
  return token;
}

/** Constant-time comparison of a presented token with the file's (re-read when the file changes). */
export class AdminTokenCheck {
  private digest: Buffer;
  private mtimeMs: number;

  constructor(private readonly path: string) {
    this.digest = sha256(ensureAdminToken(path));
    this.mtimeMs = statSync(path).mtimeMs;
  }

  /** `authorization` metadata values as received. */
  accepts(authorization: unknown): boolean {
    this.refresh();
    const value = typeof authorization === 'string' ? authorization : Buffer.isBuffer(authorization) ? authorization.toString() : '';
    const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
    return match !== null && timingSafeEqual(sha256(match[1]!), this.digest);
  }

  /** Kubernetes rotates a mounted Secret in place: a changed file replaces the token. */
  private refresh(): void {
    try {
      const mtimeMs = statSync(this.path).mtimeMs;
      if (mtimeMs === this.mtimeMs) return;
      this.digest = sha256(readAdminToken(this.path));
      this.mtimeMs = mtimeMs;
    } catch {
      // unreadable for a moment (a Secret swap): keep the last token
    }
  }
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();
