import { totalmem } from 'node:os';

/**
 * V8 options every Glider process starts with (a launcher passes them: `npm start`, the test and
 * bench harness, the operator's pods through NODE_OPTIONS). V8 flags are read once, when the heap
 * is set up, so an app cannot apply them to itself.
 *
 * The young generation's ceiling. V8 sizes its new space (two semi-spaces) by the memory it sees:
 * on Node 24 (no pointer compression) a semi-space may grow to 16 MiB with 1 GiB, 32 MiB with
 * 2 GiB and 64 MiB with 4 GiB or more. A burst of logins grows it to that ceiling, and the pages
 * stay resident after the burst (V8 keeps them pooled when it shrinks the space), so on a large
 * machine every process carried 64 MiB more RSS for good once a few thousand sessions had come in.
 * A 32 MiB semi-space costs the scavenger about 0.2 µs per stanza more (docs/performance.md,
 * "Idle memory per authenticated connection"); 16 MiB doubled the scavenger's time. Where V8 would
 * choose 32 MiB or less anyway (under 2 GiB), nothing is passed: this is a ceiling, never a raise.
 */
export const SEMI_SPACE_CEILING_MIB = 32;
/** The memory from which V8's own semi-space reaches the ceiling (measured on Node 24.x). */
export const CEILING_FROM_BYTES = 2 * 1024 ** 3;

/**
 * The V8 options for a process that will see `memoryBytes` of memory (its container's limit, or
 * the host's). `undefined`: not known (a pod without a memory limit sees its node's memory, which
 * is taken to be at least 2 GiB).
 */
export function nodeOptions(memoryBytes: number | undefined): string[] {
  if (memoryBytes !== undefined && !(memoryBytes >= CEILING_FROM_BYTES)) return [];
  return [`--max-semi-space-size=${SEMI_SPACE_CEILING_MIB}`];
}

/** The memory a process started from this one will see: the cgroup's limit when there is one, else the host's. */
export function localMemoryBytes(): number {
  const host = totalmem();
  const limit = process.constrainedMemory();
  return limit > 0 && limit < host ? limit : host;
}

const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { m: -1, k: 1, M: 2, G: 3, T: 4, P: 5, E: 6 };

/**
 * A Kubernetes memory quantity (`2Gi`, `1500M`, `1073741824`, `1e9`) in bytes, or `undefined` when
 * it is not one (the API server rejects those before a pod exists).
 */
export function quantityBytes(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return Number.isFinite(q) && q >= 0 ? q : undefined;
  const m = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/.exec(q.trim());
  if (!m) return undefined;
  const n = Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : 1);
  const unit = m[3];
  if (!unit) return n;
  const binary = BINARY[unit];
  return binary !== undefined ? n * 1024 ** binary : n * 1000 ** DECIMAL[unit]!;
}
