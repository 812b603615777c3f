import { createHash } from 'node:crypto';
import { buckets, type Bus, type KvBucket } from '#libs/bus';

/**
 * XEP-0115 §6.3: features behind verified caps hashes, shared by the cluster in the bus KV bucket
 * `glider_caps` (a hash is content-addressed, so every process may write it) with a bounded
 * in-process map in front. Only verified answers are stored (§5.4), so one client cannot poison
 * another's view.
 */
export class CapsCache {
  private kv: KvBucket | undefined;
  private readonly local = new Map<string, readonly string[]>();

  constructor(
    private readonly bus: Bus,
    private readonly maxEntries: number,
  ) {}

  async features(hash: string, ver: string): Promise<readonly string[] | undefined> {
    const key = keyOf(hash, ver);
    const hit = this.local.get(key);
    if (hit) return hit;
    const entry = await (await this.bucket()).get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const features = JSON.parse(Buffer.from(entry.value).toString('utf8')) as string[];
    this.remember(key, features);
    return features;
  }

  async store(hash: string, ver: string, features: readonly string[]): Promise<void> {
    const key = keyOf(hash, ver);
    this.remember(key, features);
    await (await this.bucket()).put(key, Buffer.from(JSON.stringify(features), 'utf8'));
  }

  private remember(key: string, features: readonly string[]): void {
    this.local.delete(key);
    this.local.set(key, features);
    if (this.local.size > this.maxEntries) this.local.delete(this.local.keys().next().value!);
  }

  private async bucket(): Promise<KvBucket> {
    return (this.kv ??= await this.bus.kv(buckets.caps));
  }
}

/** A KV key is a subject token: the hash of (function, ver) in hex. */
function keyOf(hash: string, ver: string): string {
  return createHash('sha256').update(`${hash} ${ver}`).digest('hex');
}
