/**
 * What crosses a MessagePort between a `PortBus` (a worker thread's bus) and the `PortBusHost`
 * that serves it from the thread owning the `InProcessBus`. Messages travel in batches (arrays),
 * one `postMessage` per event-loop turn and direction (port-batcher.ts): a port is FIFO, so the
 * order of everything one side sends is the order the other side handles it.
 *
 * Payloads are exact-size copies (`Uint8Array`s whose buffer is theirs alone), so structured clone
 * copies the bytes once and never a whole Buffer-pool slab.
 */
import type { KvEntry, KvOptions } from './bus.js';
import { wire } from './local-values.js';

/** Worker → host. `c` is the caller's id for the one `res` that answers it. */
export type ToHost =
  | { t: 'pub'; s: string; d: Uint8Array }
  | { t: 'req'; c: number; s: string; d: Uint8Array; ms: number }
  | { t: 'sub'; id: number; s: string; q?: string }
  | { t: 'unsub'; c: number; id: number }
  | { t: 'reply'; r: number; d: Uint8Array }
  | { t: 'flush'; c: number }
  | { t: 'kvopen'; c: number; b: string; o: KvOptions }
  | { t: 'kv'; c: number; b: string; op: KvOp; a: unknown[] }
  | { t: 'watch'; c: number; w: number; b: string; f?: string }
  | { t: 'unwatch'; w: number }
  | { t: 'close'; c: number };

/** Host → worker. */
export type ToWorker =
  { t: 'msg'; id: number; s: string; d: Uint8Array; r?: number } | { t: 'res'; c: number; v?: unknown; e?: WireError } | { t: 'kve'; w: number; e: KvEntry };

export type KvOp = 'get' | 'put' | 'create' | 'update' | 'delete' | 'keys' | 'changedSince' | 'purgeDeletes' | 'purgeUpTo';
export const KV_OPS: ReadonlySet<string> = new Set<KvOp>(['get', 'put', 'create', 'update', 'delete', 'keys', 'changedSince', 'purgeDeletes', 'purgeUpTo']);

/** An error as it crosses: its class name (BusTimeoutError, KvConflictError, …) and message. */
export interface WireError {
  name: string;
  message: string;
}

/**
 * A copy that owns its buffer exactly: cloning a view would copy its whole ArrayBuffer (often an
 * 8 KiB Buffer-pool slab), and the caller may reuse what it published (requestRetrying sends the
 * same bytes again). `Buffer#slice` would be a view, hence `set`.
 */
export function exact(value: Uint8Array): Uint8Array {
  const data = wire(value); // a value kept local (local-values.ts) gets its bytes before it leaves the thread
  const copy = new Uint8Array(data.byteLength);
  copy.set(data);
  return copy;
}
