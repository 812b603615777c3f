import { subjects, type Bus, type BusSubscription } from '#libs/bus';
import type { Jid } from '#libs/jid';
import type { BlocklistRepository } from '#libs/storage';
import { BlocklistMatcher } from './blocklist-matcher.js';

interface Entry {
  matcher: BlocklistMatcher;
  at: number;
  /** When a hit last moved it to the newest end (at most once per TOUCH_MS). */
  touched: number;
}

/**
 * A hit moves its entry to the newest end at most this often: a Map delete and set per lookup
 * (two lookups per routed stanza) for an order that only decides which entry goes first once the
 * cache is full. An entry used within the last second can still be dropped only after every entry
 * touched before it.
 */
const TOUCH_MS = 1000;

export interface BlocklistCacheOptions {
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * Every process that filters stanzas (routers, presence) keeps the blocklists it reads. A change
 * (`changed(owner)`) drops the entry here at once and tells every other process over the bus
 * (`subjects.blocklistChanged`), so the next stanza reads the list again. A lost message can only
 * leave an entry stale for `ttlMs`; a bus reconnect clears everything.
 */
export class BlocklistCache {
  private readonly entries = new Map<string, Entry>();
  /** Bumped on every invalidation: a read that started before one does not fill the cache. */
  private epoch = 0;
  private sub: BusSubscription | undefined;
  private offReconnect: (() => void) | undefined;
  private readonly now: () => number;

  constructor(
    private readonly repo: BlocklistRepository,
    private readonly bus: Bus,
    private readonly opts: BlocklistCacheOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.sub = this.bus.subscribe(subjects.blocklistChanged(), (msg) => this.invalidate(Buffer.from(msg.data).toString('utf8')));
    this.offReconnect = this.bus.onReconnect(() => this.clear());
  }

  async stop(): Promise<void> {
    this.offReconnect?.();
    await this.sub?.unsubscribe();
    this.clear();
  }

  /** `owner`'s list (a bare JID), from the cache or the store. */
  async of(owner: string): Promise<BlocklistMatcher> {
    return this.cached(owner) ?? this.load(owner);
  }

  /** `owner`'s list if the cache holds it fresh, else undefined (read it with `of`). */
  cached(owner: string): BlocklistMatcher | undefined {
    const hit = this.entries.get(owner);
    if (!hit) return undefined;
    const now = this.now();
    if (now - hit.at > this.opts.ttlMs) return undefined;
    if (now - hit.touched >= TOUCH_MS) {
      // LRU: re-insert so the oldest-used entry is first
      this.entries.delete(owner);
      this.entries.set(owner, hit);
      hit.touched = now;
    }
    return hit.matcher;
  }

  private async load(owner: string): Promise<BlocklistMatcher> {
    const epoch = this.epoch;
    const items = await this.repo.list(owner);
    const matcher = items.length === 0 ? BlocklistMatcher.EMPTY : new BlocklistMatcher(items);
    if (this.epoch === epoch) this.put(owner, matcher);
    return matcher;
  }

  /**
   * Whether `owner` (a bare JID) blocks `peer`: at once when the list is cached (no promise per
   * stanza on the hot path), else a promise of the answer once it was read.
   */
  blocks(owner: string, peer: Jid): boolean | Promise<boolean> {
    const hit = this.cached(owner);
    return hit ? hit.blocks(peer) : this.load(owner).then((m) => m.blocks(peer));
  }

  /** After `owner`'s list was stored: forget it here and on every other process. */
  async changed(owner: string): Promise<void> {
    this.invalidate(owner);
    await announceBlocklistChanged(this.bus, owner);
  }

  private invalidate(owner: string): void {
    this.entries.delete(owner);
    this.epoch++;
  }

  private clear(): void {
    this.entries.clear();
    this.epoch++;
  }

  private put(owner: string, matcher: BlocklistMatcher): void {
    this.entries.delete(owner);
    const now = this.now();
    this.entries.set(owner, { matcher, at: now, touched: now });
    while (this.entries.size > this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * Tells every process's cache that `owner`'s list changed or went: after a block or unblock, and
 * after the account was deleted with its data (a new account of the same name must not inherit
 * the old list for `blocking.cacheTtlMs`). The cache of this process hears it too.
 */
export async function announceBlocklistChanged(bus: Bus, owner: string): Promise<void> {
  bus.publish(subjects.blocklistChanged(), Buffer.from(owner, 'utf8'));
  await bus.flush();
}
