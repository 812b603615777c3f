/**
 * SessionRegistry on the bus KV store (bucket `glider_sessions`, one SessionRecord per full JID).
 * Writes are compare-and-set by session id; reads come from a cache fed by a watch, falling back
 * to the store on a miss so a session bound a moment ago on another node is still found.
 */
import {
  KvConflictError,
  buckets,
  decodeSessionRecord,
  encodeSessionRecord,
  keys,
  type Bus,
  type BusLogger,
  type KvBucket,
  type KvEntry,
  type KvWatch,
  type SessionRecord,
} from '#libs/bus';
import type { BindOutcome, ConflictRule, SessionInfo, SessionRegistry } from './session-registry.js';
import { bareOf, isFullJid, splitFullJid } from './session-jid.js';

export interface SessionRegistryOptions {
  logger: BusLogger;
  /** Attempts of a compare-and-set loop before giving up (contention is rare: one key per resource). */
  casAttempts?: number;
  /**
   * When > 0, this registry drops the bucket's delete markers older than this, this often (NATS
   * keeps one per ended session otherwise). Enable it on one kind of component (routers), not all.
   */
  purgeDeletesEveryMs?: number;
  /**
   * Sessions a registry that was never started (no watch: it caches only what it read or wrote
   * itself) keeps at most; the oldest cached goes first. A watched cache holds every session.
   */
  maxUnwatched?: number;
}

const MAX_UNWATCHED = 100_000;

interface Cached {
  info: SessionInfo;
  revision: number;
}

type Patch = Partial<Pick<SessionInfo, 'priority' | 'available' | 'interested' | 'lastPresence' | 'carbons' | 'blocklist'>>;

export function toRecord(s: SessionInfo): SessionRecord {
  const r: SessionRecord = {
    jid: s.jid,
    session: { edgeId: s.edgeId, sessionId: s.sessionId },
    priority: s.priority,
    available: s.available,
    interested: s.interested,
    boundAtMs: s.boundAtMs,
  };
  if (s.lastPresence) r.lastPresence = s.lastPresence;
  if (s.carbons) r.carbons = true;
  if (s.blocklist) r.blocklist = true;
  return r;
}

export function fromRecord(r: SessionRecord): SessionInfo {
  const s: SessionInfo = {
    jid: r.jid,
    edgeId: r.session?.edgeId ?? '',
    sessionId: r.session?.sessionId ?? '',
    priority: r.priority,
    available: r.available,
    interested: r.interested,
    boundAtMs: r.boundAtMs,
  };
  if (r.lastPresence) s.lastPresence = r.lastPresence;
  if (r.carbons) s.carbons = true;
  if (r.blocklist) s.blocklist = true;
  return s;
}

function keyOf(jid: string): string {
  const { bare, resource } = splitFullJid(jid);
  return keys.session(bare, resource);
}

export class KvSessionRegistry implements SessionRegistry {
  private bucketP?: Promise<KvBucket>;
  private watcher?: KvWatch;
  /** Set when start() begins: the watch's replay of every session arrives before `watcher` is. */
  private watched = false;
  private purgeTimer?: NodeJS.Timeout;
  private readonly cache = new Map<string, Cached>();
  private readonly byUser = new Map<string, Set<string>>();
  private readonly byEdge = new Map<string, Set<string>>();
  /** A cached session's key by its full JID: `get` on the hot path (every routed stanza) skips keyOf's base64 of both parts. */
  private readonly keyByJid = new Map<string, string>();
  /** Revisions of keys this registry deleted, until the watch has caught up with them. */
  private readonly tombstones = new Map<string, number>();
  private watchRevision = 0;
  private readonly attempts: number;

  constructor(
    private readonly bus: Bus,
    private readonly opts: SessionRegistryOptions,
  ) {
    this.attempts = opts.casAttempts ?? 16;
  }

  async start(): Promise<void> {
    if (this.watcher) return;
    this.watched = true;
    const kv = await this.bucket();
    this.watcher = await kv.watch((e) => this.onWatch(e));
    const every = this.opts.purgeDeletesEveryMs ?? 0;
    if (every > 0) {
      this.purgeTimer = setInterval(() => {
        kv.purgeDeletes(every).then(
          (n) => n > 0 && this.opts.logger.debug?.({ purged: n }, 'session delete markers purged'),
          (err: unknown) => this.opts.logger.warn?.({ err }, 'purging session delete markers failed'),
        );
      }, every);
      this.purgeTimer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.purgeTimer);
    this.watcher?.stop();
    this.watcher = undefined;
  }

  async bind(session: SessionInfo, rule: ConflictRule): Promise<BindOutcome> {
    const kv = await this.bucket();
    const key = keyOf(session.jid);
    const value = encodeSessionRecord(toRecord(session));
    for (let i = 0; i < this.attempts; i++) {
      try {
        this.remember(key, session, await kv.create(key, value));
        return { ok: true };
      } catch (err) {
        if (!(err instanceof KvConflictError)) throw err;
      }
      if (rule === 'refuse') return { ok: false };
      const cur = await kv.get(key);
      if (!cur) continue;
      try {
        const old = fromRecord(decodeSessionRecord(cur.value));
        this.remember(key, session, await kv.update(key, value, cur.revision));
        return { ok: true, replaced: old };
      } catch (err) {
        if (!(err instanceof KvConflictError)) throw err;
      }
    }
    throw new Error(`bind ${session.jid}: gave up after ${this.attempts} conflicting attempts`);
  }

  async update(jid: string, sessionId: string, patch: Patch): Promise<boolean> {
    const kv = await this.bucket();
    const key = keyOf(jid);
    // The cached record first: a compare-and-set at its revision succeeds only if the store still
    // holds exactly that record, so no read is needed when the cache is current (presence's update
    // of every initial presence: one round trip instead of two). A stale cache just costs the read.
    const known = this.cache.get(key);
    if (known && known.info.sessionId === sessionId) {
      const next: SessionInfo = { ...known.info, ...patch };
      try {
        this.remember(key, next, await kv.update(key, encodeSessionRecord(toRecord(next)), known.revision));
        return true;
      } catch (err) {
        if (!(err instanceof KvConflictError)) throw err;
      }
    }
    for (let i = 0; i < this.attempts; i++) {
      const cur = await kv.get(key);
      if (!cur) return false;
      const info = fromRecord(decodeSessionRecord(cur.value));
      if (info.sessionId !== sessionId) return false;
      const next: SessionInfo = { ...info, ...patch };
      try {
        this.remember(key, next, await kv.update(key, encodeSessionRecord(toRecord(next)), cur.revision));
        return true;
      } catch (err) {
        if (!(err instanceof KvConflictError)) throw err;
      }
    }
    throw new Error(`update ${jid}: gave up after ${this.attempts} conflicting attempts`);
  }

  async remove(jid: string, sessionId: string): Promise<SessionInfo | undefined> {
    const kv = await this.bucket();
    const key = keyOf(jid);
    // As in update: a delete at the cached revision wins only over exactly the cached record.
    const known = this.cache.get(key);
    if (known && known.info.sessionId === sessionId) {
      try {
        await kv.delete(key, known.revision);
        this.forget(key, known.revision + 1);
        return known.info;
      } catch (err) {
        if (!(err instanceof KvConflictError)) throw err;
      }
    }
    for (let i = 0; i < this.attempts; i++) {
      const cur = await kv.get(key);
      if (!cur) return undefined;
      const info = fromRecord(decodeSessionRecord(cur.value));
      if (info.sessionId !== sessionId) return undefined;
      try {
        await kv.delete(key, cur.revision);
        this.forget(key, cur.revision + 1);
        return info;
      } catch (err) {
        if (!(err instanceof KvConflictError)) throw err;
      }
    }
    throw new Error(`remove ${jid}: gave up after ${this.attempts} conflicting attempts`);
  }

  async get(jid: string): Promise<SessionInfo | undefined> {
    const known = this.keyByJid.get(jid);
    if (known !== undefined) return this.cache.get(known)!.info;
    if (!isFullJid(jid)) return undefined;
    const key = keyOf(jid);
    return this.cache.get(key)?.info ?? this.read(key);
  }

  async fresh(jid: string): Promise<SessionInfo | undefined> {
    if (!isFullJid(jid)) return undefined;
    const key = keyOf(jid);
    const info = await this.read(key);
    // Watched, the delete reaches the cache through the watch, at its revision; unwatched, nothing
    // else will ever drop the entry.
    if (!info && !this.watched) this.forget(key, Number.MAX_SAFE_INTEGER);
    return info;
  }

  /** The store's record of `key`, then cached. */
  private async read(key: string): Promise<SessionInfo | undefined> {
    const e = await (await this.bucket()).get(key);
    if (!e) return undefined;
    const info = fromRecord(decodeSessionRecord(e.value));
    this.remember(key, info, e.revision);
    return info;
  }

  async ofUser(bareJid: string): Promise<SessionInfo[]> {
    const cached = this.ofUserCached(bareJid);
    if (cached.length > 0) return cached;
    const kv = await this.bucket();
    // The watch has handed this registry every change up to watchRevision: when none of this user's
    // keys changed since, the cache is exact and the user has no session (the usual case: the last
    // resource leaving). One direct get; else the listing below.
    if (this.watcher && !(await kv.changedSince(keys.sessionsOf(bareJid), this.watchRevision).catch(() => true))) return [];
    const out: SessionInfo[] = [];
    for (const key of await kv.keys(keys.sessionsOf(bareJid))) {
      const info = await this.read(key);
      if (info) out.push(info);
    }
    return out;
  }

  ofUserCached(bareJid: string): SessionInfo[] {
    return this.infos(this.byUser.get(bareJid));
  }

  onEdge(edgeId: string): SessionInfo[] {
    return this.infos(this.byEdge.get(edgeId));
  }

  all(): SessionInfo[] {
    return [...this.cache.values()].map((c) => c.info);
  }

  edges(): string[] {
    return [...this.byEdge.keys()];
  }

  /** The cached records of an index's keys (byUser, byEdge). */
  private infos(keys: Set<string> | undefined): SessionInfo[] {
    return keys ? [...keys].map((k) => this.cache.get(k)!.info) : [];
  }

  private bucket(): Promise<KvBucket> {
    this.bucketP ??= this.bus.kv(buckets.sessions);
    return this.bucketP;
  }

  private onWatch(e: KvEntry): void {
    this.watchRevision = Math.max(this.watchRevision, e.revision);
    if (e.operation === 'PUT') {
      try {
        this.remember(e.key, fromRecord(decodeSessionRecord(e.value)), e.revision);
      } catch (err) {
        this.opts.logger.error({ err, key: e.key }, 'undecodable session record skipped');
      }
    } else {
      this.forget(e.key, e.revision);
    }
    for (const [k, rev] of this.tombstones) if (rev <= this.watchRevision) this.tombstones.delete(k);
  }

  /** Caches `info` unless the cache already holds a newer revision or the key was deleted since. */
  private remember(key: string, info: SessionInfo, revision: number): void {
    const cur = this.cache.get(key);
    if (cur && cur.revision >= revision) return;
    const dead = this.tombstones.get(key);
    if (dead !== undefined && dead >= revision) return;
    if (cur) this.unindex(key, cur.info);
    else if (!this.watched && this.cache.size >= (this.opts.maxUnwatched ?? MAX_UNWATCHED)) this.evictOldest();
    this.cache.set(key, { info: ownedPresence(info), revision });
    index(this.byUser, bareOf(info.jid), key);
    index(this.byEdge, info.edgeId, key);
    this.keyByJid.set(info.jid, key);
  }

  private forget(key: string, revision: number): void {
    const cur = this.cache.get(key);
    if (cur && cur.revision > revision) return;
    if (cur) {
      this.unindex(key, cur.info);
      this.cache.delete(key);
    }
    // Without a watch no stale entry can arrive later, so no tombstone is needed.
    if (this.watcher && revision > this.watchRevision) this.tombstones.set(key, Math.max(revision, this.tombstones.get(key) ?? 0));
  }

  /** Unwatched only: the entry cached first makes room (a later `get` of it reads the store again). */
  private evictOldest(): void {
    for (const [key, cur] of this.cache) {
      this.unindex(key, cur.info);
      this.cache.delete(key);
      return;
    }
  }

  private unindex(key: string, info: SessionInfo): void {
    unindex(this.byUser, bareOf(info.jid), key);
    unindex(this.byEdge, info.edgeId, key);
    if (this.keyByJid.get(info.jid) === key) this.keyByJid.delete(info.jid);
  }
}

/**
 * `info` with a lastPresence that owns its memory. The cache keeps a session's presence for as long
 * as the session lives; a caller's bytes are often a view into a shared allocation (Buffer.from(string)
 * slices Node's Buffer pool, 64 KiB slabs on Node 24), and a cached view kept that whole slab alive: with 2,000 idle
 * sessions, ~240 slabs, ≈ 7.5 KiB per connection. Decoded records are already copies; those are
 * returned as they are.
 */
export function ownedPresence(info: SessionInfo): SessionInfo {
  const p = info.lastPresence;
  if (!p || (p.byteOffset === 0 && p.byteLength === p.buffer.byteLength)) return info;
  return { ...info, lastPresence: new Uint8Array(p) };
}

function index(m: Map<string, Set<string>>, by: string, key: string): void {
  const s = m.get(by);
  if (s) s.add(key);
  else m.set(by, new Set([key]));
}

function unindex(m: Map<string, Set<string>>, by: string, key: string): void {
  const s = m.get(by);
  if (!s) return;
  s.delete(key);
  if (s.size === 0) m.delete(by);
}

export function createSessionRegistry(bus: Bus, opts: SessionRegistryOptions): SessionRegistry {
  return new KvSessionRegistry(bus, opts);
}
