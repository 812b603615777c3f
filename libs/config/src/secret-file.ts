import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Reads a secret file with `read`, making it first (0600 in a 0700 directory, 32 random bytes,
 * base64url, one line) when there is none: a standalone's first start. In Kubernetes the file is a
 * mounted Secret and always exists. Two processes racing agree ('wx').
 */
export function ensureSecretFile(path: string, read: (path: string) => string): string {
  try {
    return read(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return read(path);
}
