/**
 * A bounded map that keeps the recently used entries, in two generations of `max / 2` entries: a
 * hit in the newer one costs a single lookup (no re-insertion per hit, as a strict LRU on a Map
 * needs); a hit in the older one moves the entry to the newer; when the newer is full, the older
 * is dropped whole and the newer takes its place. So an entry used within the last `max / 2`
 * insertions is kept, and at most `max` entries are held.
 */
export class LruCache<K, V> {
  private newer = new Map<K, V>();
  private older = new Map<K, V>();
  private readonly generation: number;

  constructor(max: number) {
    if (!(max >= 2)) throw new RangeError(`LruCache: max must be at least 2, got ${max}`);
    this.generation = Math.floor(max / 2);
  }

  get(key: K): V | undefined {
    const value = this.newer.get(key);
    if (value !== undefined) return value;
    const old = this.older.get(key);
    if (old !== undefined) {
      this.older.delete(key);
      this.put(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    if (this.newer.has(key)) this.newer.set(key, value);
    else {
      this.older.delete(key);
      this.put(key, value);
    }
  }

  get size(): number {
    return this.newer.size + this.older.size;
  }

  private put(key: K, value: V): void {
    if (this.newer.size >= this.generation) {
      this.older = this.newer;
      this.newer = new Map();
    }
    this.newer.set(key, value);
  }
}
