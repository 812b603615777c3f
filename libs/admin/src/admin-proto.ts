import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ADMIN_PACKAGE = 'glider.admin.v1';
const PROTO_RELATIVE = join('proto', 'glider', 'admin', 'v1', 'admin.proto');

/** proto-loader options shared by the server and gliderctl, so both see the same field shapes. */
export const ADMIN_LOADER_OPTIONS = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true } as const;

/** The repository root: the first ancestor holding the admin proto (works from src/ and dist/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, PROTO_RELATIVE))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find ${PROTO_RELATIVE} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export function adminProtoPath(): string {
  return join(projectRoot(), PROTO_RELATIVE);
}

/** The running Glider's version, from the project's package.json. */
export function gliderVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
