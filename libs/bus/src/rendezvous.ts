/**
 * Rendezvous (highest-random-weight) hashing: each partition goes to the member with the highest
 * score, so a member joining or leaving moves only the partitions it wins or held.
 */
function score(member: string, partition: number): number {
  let h = 0x811c9dc5;
  const s = `${member}\u0000${partition}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // murmur3 finaliser: FNV alone clusters on short keys that differ in the last characters.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function ownerOf(partition: number, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const sc = score(m, partition);
    if (sc > bestScore || (sc === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = sc;
    }
  }
  return best;
}

export function partitionsOwnedBy(member: string, members: readonly string[], partitions: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) if (ownerOf(p, members) === member) out.push(p);
  return out;
}
