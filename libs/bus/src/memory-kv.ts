/**
 * In-memory KV bucket with the JetStream KV semantics the apps rely on: a per-bucket revision
 * sequence, create/update/delete compare-and-set, delete markers, bucket-wide TTL (expired entries
 * vanish without a watch event, as with JetStream max_age), keys(filter) and watch.
 */
import { KvConflictError, type KvBucket, type KvEntry, type KvOptions, type KvWatch } from './bus.js';
import type { BusLogger } from './bus-logger.js';
import type { Dispatcher } from './dispatcher.js';
import { subjectMatches } from './subject-match.js';

interface Slot {
  value: Uint8Array;
  revision: number;
  operation: KvEntry['operation'];
  atMs: number;
  timer?: NodeJS.Timeout;
}

/** Delete markers are dropped on their own after this long, so a long-lived process does not grow. */
const DELETE_MARKER_LIFETIME_MS = 10 * 60_000;

interface Watcher {
  filter: string;
  onEntry: (e: KvEntry) => void;
  stopped: boolean;
}

const KEY = /^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/;

export function checkKey(key: string): void {
  if (!KEY.test(key)) throw new Error(`invalid KV key "${key}"`);
}

const EMPTY = new Uint8Array(0);

function firstToken(subject: string): string {
  const dot = subject.indexOf('.');
  return dot < 0 ? subject : subject.slice(0, dot);
}

/** `a.b` of a key `a.b.c…` (three tokens or more), else undefined. */
function firstTwo(key: string): string | undefined {
  const d1 = key.indexOf('.');
  const d2 = d1 < 0 ? -1 : key.indexOf('.', d1 + 1);
  return d2 < 0 ? undefined : key.slice(0, d2);
}

/** `a.b` of a filter `a.b.<anything>` whose first two tokens are literal, else undefined. */
function literalTwo(filter: string): string | undefined {
  const two = firstTwo(filter);
  return two === undefined || two.includes('*') || two.includes('>') ? undefined : two;
}

function add(index: Map<string, Set<string>>, token: string, key: string): void {
  const set = index.get(token);
  if (set) set.add(key);
  else index.set(token, new Set([key]));
}

function remove(index: Map<string, Set<string>>, token: string, key: string): void {
  const set = index.get(token);
  if (!set?.delete(key)) return;
  if (set.size === 0) index.delete(token);
}

export class MemoryKv implements KvBucket {
  private seq = 0;
  private readonly slots = new Map<string, Slot>();
  /** Live (PUT) keys by their first token, so keys('<token>.…') does not scan the whole bucket. */
  private readonly byFirstToken = new Map<string, Set<string>>();
  /** Live keys of three tokens or more by their first two (`q.<session>.…`: one session's queue without a bucket scan). */
  private readonly byTwoTokens = new Map<string, Set<string>>();
  private readonly watchers = new Set<Watcher>();
  /**
   * Delete markers in the order they were written, dropped from the front once past their lifetime
   * (at later writes): one timer per marker cost more than the marker (XEP-0198 deletes one per
   * acknowledged stanza).
   */
  private readonly markers: { key: string; slot: Slot; dropAtMs: number }[] = [];
  private markersHead = 0;

  constructor(
    readonly name: string,
    private readonly opts: KvOptions,
    private readonly dispatcher: Dispatcher,
    private readonly logger: BusLogger,
  ) {}

  async get(key: string): Promise<KvEntry | undefined> {
    checkKey(key);
    const s = this.slots.get(key);
    if (!s || s.operation !== 'PUT') return undefined;
    return { key, value: s.value, revision: s.revision, operation: 'PUT' };
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    checkKey(key);
    return this.write(key, value, 'PUT');
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    checkKey(key);
    const s = this.slots.get(key);
    if (s && s.operation === 'PUT') throw new KvConflictError(`${this.name}: key exists: ${key}`);
    return this.write(key, value, 'PUT');
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    checkKey(key);
    this.expect(key, revision);
    return this.write(key, value, 'PUT');
  }

  async delete(key: string, revision?: number): Promise<void> {
    checkKey(key);
    if (revision !== undefined) this.expect(key, revision);
    this.write(key, EMPTY, 'DEL');
  }

  async changedSince(filter: string, revision: number): Promise<boolean> {
    if (this.seq <= revision) return false;
    // live keys through the indexes (a key's slot is its last write), then the delete markers
    // written after `revision`, newest first: no scan of the whole bucket
    for (const key of await this.keys(filter)) if (this.slots.get(key)!.revision > revision) return true;
    for (let i = this.markers.length - 1; i >= this.markersHead; i--) {
      const m = this.markers[i]!;
      if (m.slot.revision <= revision) break;
      if (subjectMatches(filter, m.key)) return true;
    }
    return false;
  }

  async keys(filter = '>'): Promise<string[]> {
    const out: string[] = [];
    const first = firstToken(filter);
    const two = literalTwo(filter);
    if (two !== undefined) {
      for (const key of this.byTwoTokens.get(two) ?? []) if (subjectMatches(filter, key)) out.push(key);
      return out;
    }
    if (first !== '*' && first !== '>') {
      // A literal first token: only keys under it can match (a session lookup of one user).
      for (const key of this.byFirstToken.get(first) ?? []) if (subjectMatches(filter, key)) out.push(key);
      return out;
    }
    for (const [key, s] of this.slots) if (s.operation === 'PUT' && subjectMatches(filter, key)) out.push(key);
    return out;
  }

  async watch(onEntry: (entry: KvEntry) => void, filter = '>'): Promise<KvWatch> {
    const w: Watcher = { filter, onEntry, stopped: false };
    for (const [key, s] of this.slots) {
      if (s.operation !== 'PUT' || !subjectMatches(filter, key)) continue;
      const e: KvEntry = { key, value: s.value, revision: s.revision, operation: 'PUT' };
      this.dispatcher.push(() => this.notify(w, e));
    }
    this.watchers.add(w);
    await this.dispatcher.settled();
    return {
      stop: () => {
        w.stopped = true;
        this.watchers.delete(w);
      },
    };
  }

  async purgeDeletes(olderThanMs: number): Promise<number> {
    const before = Date.now() - olderThanMs;
    let n = 0;
    for (const [key, s] of this.slots) {
      if (s.operation !== 'PUT' && s.atMs <= before) {
        clearTimeout(s.timer);
        this.slots.delete(key);
        n++;
      }
    }
    return n;
  }

  async purgeUpTo(filter: string, revision: number): Promise<void> {
    const two = literalTwo(filter);
    const first = firstToken(filter);
    const candidates =
      two !== undefined ? this.byTwoTokens.get(two) : first !== '*' && first !== '>' ? this.byFirstToken.get(first) : new Set(this.slots.keys());
    for (const key of [...(candidates ?? [])]) {
      const s = this.slots.get(key);
      if (!s || s.revision > revision || !subjectMatches(filter, key)) continue;
      clearTimeout(s.timer);
      this.slots.delete(key);
      this.unindex(key);
    }
  }

  /** Stops TTL timers (bus close). */
  dispose(): void {
    for (const s of this.slots.values()) clearTimeout(s.timer);
    this.watchers.clear();
  }

  private expect(key: string, revision: number): void {
    const current = this.slots.get(key)?.revision ?? 0;
    if (current !== revision || revision <= 0) {
      throw new KvConflictError(`${this.name}: wrong last sequence for ${key}: ${current}, expected ${revision}`);
    }
  }

  private write(key: string, value: Uint8Array, operation: KvEntry['operation']): number {
    const old = this.slots.get(key);
    if (old) clearTimeout(old.timer);
    const now = Date.now();
    // A copy, as a network store would keep: the caller may reuse its buffer. `new Uint8Array(view)`
    // is one memcpy (Uint8Array.from iterates; a Buffer's slice() would not copy at all).
    const slot: Slot = { value: value.length ? new Uint8Array(value) : EMPTY, revision: ++this.seq, operation, atMs: now };
    const ttl = this.opts.ttlMs ?? 0;
    if (operation !== 'PUT') {
      const lifetime = ttl > 0 ? Math.min(ttl, DELETE_MARKER_LIFETIME_MS) : DELETE_MARKER_LIFETIME_MS;
      this.markers.push({ key, slot, dropAtMs: now + lifetime });
    } else if (ttl > 0) {
      slot.timer = setTimeout(() => {
        if (this.slots.get(key) !== slot) return;
        this.slots.delete(key);
        this.unindex(key);
      }, ttl);
      slot.timer.unref();
    }
    this.slots.set(key, slot);
    if (operation === 'PUT') this.index(key);
    else this.unindex(key);
    this.dropOldMarkers(now);
    if (this.watchers.size > 0) {
      const e: KvEntry = { key, value: slot.value, revision: slot.revision, operation };
      for (const w of this.watchers) if (subjectMatches(w.filter, key)) this.dispatcher.push(() => this.notify(w, e));
    }
    return slot.revision;
  }

  /** Delete markers past their lifetime go (lifetimes only differ by bucket, so the front is the oldest). */
  private dropOldMarkers(now: number): void {
    const q = this.markers;
    while (this.markersHead < q.length && q[this.markersHead]!.dropAtMs <= now) {
      const m = q[this.markersHead++]!;
      if (this.slots.get(m.key) === m.slot) this.slots.delete(m.key);
    }
    if (this.markersHead > 1024 && this.markersHead * 2 > q.length) {
      q.splice(0, this.markersHead);
      this.markersHead = 0;
    }
  }

  private index(key: string): void {
    add(this.byFirstToken, firstToken(key), key);
    const two = firstTwo(key);
    if (two !== undefined) add(this.byTwoTokens, two, key);
  }

  private unindex(key: string): void {
    remove(this.byFirstToken, firstToken(key), key);
    const two = firstTwo(key);
    if (two !== undefined) remove(this.byTwoTokens, two, key);
  }

  private notify(w: Watcher, e: KvEntry): void {
    if (w.stopped) return;
    try {
      w.onEntry(e);
    } catch (err) {
      this.logger.error({ err, bucket: this.name, key: e.key }, 'kv watch handler threw');
    }
  }
}
