import { randomBytes } from 'node:crypto';
import type { XmppCluster } from '../../api/v1alpha1/types.js';
import { decode, encode } from './apply.js';
import type { Problem } from './conditions.js';
import type { ControllerContext } from './context.js';
import { recordEvent } from './events.js';
import { meta, names } from './names.js';

/** The key of the TURN shared secret in its Secret; media-relay reads it as `media.turn.sharedSecretFile`. */
export const TURN_SECRET_KEY = 'secret';
/** media-relay refuses a shorter one (apps/media-relay rfc8656-turn/credentials.ts). */
const MIN_SECRET_LENGTH = 16;

/** A new random TURN REST API shared secret (32 bytes, base64url, one line). */
export function turnSecret(x: XmppCluster) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: meta(x, names.turnSecret(x)),
    data: encode({ [TURN_SECRET_KEY]: `${randomBytes(32).toString('base64url')}\n` }),
  };
}

/**
 * Makes the TURN shared secret once (docs/media.md): the media-relay pods both hand out XEP-0215
 * credentials and check them with it. Created, never applied (a stale cache never replaces it);
 * to rotate it, write a new value or delete the Secret: the pods re-read the mounted file, and
 * credentials issued under the old secret stop working at once. A Secret without a usable value
 * blocks the rollout and says so.
 */
export async function ensureTurnSecret(ctx: ControllerContext, x: XmppCluster): Promise<Problem[]> {
  const ns = x.metadata.namespace!;
  const name = names.turnSecret(x);
  const live = ctx.caches.secrets.get(name, ns) as { data?: Record<string, string> } | undefined;
  if (live) {
    const value = decode(live.data)?.[TURN_SECRET_KEY]?.trim() ?? '';
    if (value.length >= MIN_SECRET_LENGTH) return [];
    const message = `Secret ${ns}/${name} has no TURN shared secret of at least ${MIN_SECRET_LENGTH} characters in key "${TURN_SECRET_KEY}"; put one there or delete the Secret to have a new one made`;
    return [{ reason: 'TurnSecretInvalid', message, blocking: true }];
  }
  try {
    await ctx.api.create(turnSecret(x));
  } catch (err) {
    if ((err as { code?: number }).code === 409) return [];
    throw err;
  }
  ctx.log.info({ cluster: `${ns}/${x.metadata.name}`, secret: name }, 'TURN shared secret created');
  await recordEvent(ctx, x, 'Normal', 'TurnSecretCreated', `created the TURN shared secret in Secret ${name} (key "${TURN_SECRET_KEY}")`);
  return [];
}
