import { randomBytes } from 'node:crypto';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { decode, encode } from './apply.js';
import type { Problem } from './conditions.js';
import type { ControllerContext } from './context.js';
import { ADMIN_TOKEN_KEY } from './desired/deployment.js';
import { recordEvent } from './events.js';
import { meta, names } from './names.js';

/** The router (libs/admin) refuses a shorter token; what the operator makes is 43 characters. */
const MIN_TOKEN_LENGTH = 16;

/** The Secret holding a new random admin token (32 bytes, base64url, one line as libs/admin reads it). */
export function adminTokenSecret(x: XmppCluster) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: meta(x, names.adminTokenSecret(x)),
    data: encode({ [ADMIN_TOKEN_KEY]: `${randomBytes(32).toString('base64url')}\n` }),
  };
}

/**
 * Makes the cluster's admin token Secret once (docs/security.md): created, never applied, so a
 * stale cache can never replace a token callers already hold, and it is never rotated by the
 * operator. To rotate it, delete the Secret (a new one is made) or write a new token into it: the
 * routers re-read the mounted file. A Secret without a usable token blocks the rollout (a router
 * would not start with it) and says so.
 */
export async function ensureAdminToken(ctx: ControllerContext, x: XmppCluster): Promise<Problem[]> {
  const ns = x.metadata.namespace!;
  const name = names.adminTokenSecret(x);
  const live = ctx.caches.secrets.get(name, ns) as { data?: Record<string, string> } | undefined;
  if (live) {
    const token = decode(live.data)?.[ADMIN_TOKEN_KEY]?.trim() ?? '';
    if (token.length >= MIN_TOKEN_LENGTH) return [];
    const message = `Secret ${ns}/${name} has no admin token of at least ${MIN_TOKEN_LENGTH} characters in key "${ADMIN_TOKEN_KEY}"; put one there or delete the Secret to have a new one made`;
    return [{ reason: 'AdminTokenInvalid', message, blocking: true }];
  }
  try {
    await ctx.api.create(adminTokenSecret(x));
  } catch (err) {
    if ((err as { code?: number }).code === 409) return []; // made already (the cache had not seen it yet)
    throw err;
  }
  ctx.log.info({ cluster: `${ns}/${x.metadata.name}`, secret: name }, 'admin token created');
  await recordEvent(ctx, x, 'Normal', 'AdminTokenCreated', `created the admin API token in Secret ${name} (key "${ADMIN_TOKEN_KEY}")`);
  return [];
}
