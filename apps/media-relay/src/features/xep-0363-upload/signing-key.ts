import { randomBytes } from 'node:crypto';
import { KvConflictError, buckets, type Bus } from '#libs/bus';

const KEY = 'upload';

/**
 * The key upload slots are signed with, shared by every media-relay replica through the bus's KV
 * store: the first replica to start creates it (create-if-absent), the others read that one. In
 * standalone the in-process bus keeps it for the process's life, so a restart only invalidates the
 * slots handed out before (they live minutes).
 */
export async function uploadSigningKey(bus: Bus): Promise<Buffer> {
  const kv = await bus.kv(buckets.mediaKeys);
  const existing = await kv.get(KEY);
  if (existing && existing.operation === 'PUT') return Buffer.from(existing.value);
  try {
    const key = randomBytes(32);
    await kv.create(KEY, key);
    return key;
  } catch (err) {
    if (!(err instanceof KvConflictError)) throw err;
    const won = await kv.get(KEY);
    if (!won) throw new Error('the upload signing key vanished from the bus while it was being created', { cause: err });
    return Buffer.from(won.value);
  }
}
