import { buckets, decodeSocks5Claim, encodeSocks5Claim, keys, KvConflictError, type Bus, type KvBucket, type Socks5Claim } from '#libs/bus';

/** Where a replica's SOCKS5 listener is reached by the other replicas. */
export type Peer = Socks5Claim;

/**
 * Which media-relay replica holds each SOCKS5 stream, and which transfers each user runs, in the
 * bus KV (bucket `glider_socks5`; in standalone the in-process bus's, with the same semantics).
 *
 * The first connection of a stream hash *creates* its key (compare-and-set, so two replicas racing
 * for one hash agree on one holder); a replica receiving a later connection reads the holder and
 * forwards the connection there (docs/decisions.md, "SOCKS5 across replicas"). Entries live three
 * heartbeats and the holder re-puts its own every heartbeat: a replica that dies leaves no claim
 * behind for longer than that.
 */
export class StreamClaims {
  private readonly held = new Set<string>();
  private readonly users = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly kv: KvBucket,
    readonly self: Peer,
    heartbeatMs: number,
    private readonly onError: (what: string, err: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.refresh(), heartbeatMs);
    this.timer.unref();
  }

  static async open(bus: Bus, self: Peer, heartbeatMs: number, onError: (what: string, err: unknown) => void): Promise<StreamClaims> {
    const kv = await bus.kv(buckets.socks5, { ttlMs: 3 * heartbeatMs });
    return new StreamClaims(kv, self, heartbeatMs, onError);
  }

  /** Takes `hash` for this replica, or names the replica that holds it already (possibly this one). */
  async claim(hash: string): Promise<Peer> {
    const key = keys.socks5Stream(hash);
    const value = encodeSocks5Claim(this.self);
    try {
      await this.kv.create(key, value);
      this.held.add(hash);
      return this.self;
    } catch (err) {
      if (!(err instanceof KvConflictError)) throw err;
    }
    const entry = await this.kv.get(key);
    if (entry) {
      const holder = decodeSocks5Claim(entry.value);
      // Ours already (a second connection, or a claim left by this instance before a restart): keep it fresh.
      if (this.isSelf(holder)) this.held.add(hash);
      return holder;
    }
    // Deleted between our create and get: the stream ended; a new one may take the hash.
    await this.kv.put(key, value);
    this.held.add(hash);
    return this.self;
  }

  /** The replica holding `hash`, if any. */
  async holder(hash: string): Promise<Peer | undefined> {
    const entry = await this.kv.get(keys.socks5Stream(hash));
    return entry ? decodeSocks5Claim(entry.value) : undefined;
  }

  isSelf(p: Peer): boolean {
    return p.instance === this.self.instance;
  }

  async release(hash: string): Promise<void> {
    if (!this.held.delete(hash)) return;
    await this.kv.delete(keys.socks5Stream(hash));
  }

  /** Transfers `bare` has running, across the cluster. */
  async userTransfers(bare: string): Promise<number> {
    return (await this.kv.keys(keys.socks5UserTransfers(bare))).length;
  }

  async addUserTransfer(bare: string, hash: string): Promise<void> {
    const key = keys.socks5UserTransfer(bare, hash);
    this.users.set(hash, key);
    await this.kv.put(key, encodeSocks5Claim(this.self));
  }

  async removeUserTransfer(hash: string): Promise<void> {
    const key = this.users.get(hash);
    if (!key) return;
    this.users.delete(hash);
    await this.kv.delete(key);
  }

  private async refresh(): Promise<void> {
    const value = encodeSocks5Claim(this.self);
    // Membership is checked again before each put: a stream released meanwhile is not revived.
    const put = async (key: string, still: () => boolean) => {
      try {
        if (still()) await this.kv.put(key, value);
      } catch (err) {
        this.onError(`refreshing ${key}`, err);
      }
    };
    for (const hash of [...this.held]) await put(keys.socks5Stream(hash), () => this.held.has(hash));
    for (const [hash, key] of [...this.users]) await put(key, () => this.users.get(hash) === key);
  }

  /** Stops refreshing and deletes what this replica still holds (clean shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const hash of [...this.held]) await this.release(hash).catch((err: unknown) => this.onError(`releasing ${hash}`, err));
    for (const hash of [...this.users.keys()]) await this.removeUserTransfer(hash).catch((err: unknown) => this.onError(`releasing user ${hash}`, err));
  }
}
