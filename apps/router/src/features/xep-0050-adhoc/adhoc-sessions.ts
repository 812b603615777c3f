import { createHash, randomBytes } from 'node:crypto';
import { buckets, type Bus, type KvBucket } from '#libs/bus';

export interface AdhocSession {
  node: string;
  /** Full JID that started it: only that resource continues it (§3.3: sessions are per requester). */
  requester: string;
  expiresAtMs: number;
}

export type SessionLookup = { found: AdhocSession } | { missing: 'unknown' | 'expired' };

/**
 * Open ad-hoc sessions in a bus KV bucket, so whichever router gets the next stage continues it.
 * Entries outlive their timeout (the bucket keeps them twice as long) so that a late stage is told
 * <session-expired/> rather than <bad-sessionid/>. Keys are `<hash of the requester's bare JID>.<id>`:
 * a user's open sessions are counted with one key listing.
 */
export class AdhocSessions {
  private bucketP: Promise<KvBucket> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly timeoutMs: number,
    private readonly maxPerUser: number,
  ) {}

  /** A new session id, or undefined when the requester already has maxPerUser open. */
  async open(node: string, requester: string, bare: string): Promise<string | undefined> {
    const kv = await this.bucket();
    const prefix = userKey(bare);
    if ((await kv.keys(`${prefix}.*`)).length >= this.maxPerUser) return undefined;
    const id = randomBytes(12).toString('hex');
    const s: AdhocSession = { node, requester, expiresAtMs: Date.now() + this.timeoutMs };
    await kv.create(`${prefix}.${id}`, Buffer.from(JSON.stringify(s)));
    return id;
  }

  async get(id: string, bare: string): Promise<SessionLookup> {
    if (!/^[0-9a-f]{24}$/.test(id)) return { missing: 'unknown' };
    const kv = await this.bucket();
    const entry = await kv.get(`${userKey(bare)}.${id}`);
    if (!entry || entry.operation !== 'PUT') return { missing: 'unknown' };
    const s = JSON.parse(Buffer.from(entry.value).toString('utf8')) as AdhocSession;
    if (s.expiresAtMs <= Date.now()) {
      await kv.delete(entry.key);
      return { missing: 'expired' };
    }
    return { found: s };
  }

  async close(id: string, bare: string): Promise<void> {
    await (await this.bucket()).delete(`${userKey(bare)}.${id}`);
  }

  private bucket(): Promise<KvBucket> {
    this.bucketP ??= this.bus.kv(buckets.adhoc, { ttlMs: this.timeoutMs * 2 }).catch((err: unknown) => {
      this.bucketP = undefined; // the next request tries again
      throw err;
    });
    return this.bucketP;
  }
}

function userKey(bare: string): string {
  return createHash('sha256').update(bare).digest('hex').slice(0, 32);
}
