/**
 * Bus values that never leave the process. In `standalone` with one thread every frame and every
 * Ack goes from one part of the process to another over the in-process bus, which hands the
 * receiver the very `Uint8Array` the sender made: encoding it to protobuf and decoding it again
 * was 15 % of standalone's CPU per 1:1 message (docs/performance.md). With `keepBusValuesLocal()`
 * (standalone's bootstrap, one thread, in-process bus) the frame codec (frame.codec.ts) makes a
 * placeholder instead of the bytes and keeps the value beside it, and decoding the placeholder
 * gives a copy of that value, as decoding the bytes would.
 *
 * What keeps it safe:
 * - the value is copied when it is held (a sender changing its object afterwards changes nothing
 *   sent, as with bytes) and again for each decode (two receivers, or a receiver changing what it
 *   got, share nothing); the copy is messages.ts's generated `…Copy(v)`, which gives what the codec's own
 *   mapping through the wire shape (`…FromWire(…ToWire(v))`, the one decoding uses) gives, in one
 *   pass, so it has the fields a decode would have (messages.spec.ts checks the two agree).
 *   Bytes fields are passed as given (every producer makes Buffers, as protobufjs decodes them);
 * - a decoder of another type than the one held reads the real bytes (`wire`), as it would have;
 * - whatever puts bytes outside the process (NatsBus, the worker-thread port bus, a KV on NATS)
 *   calls `wire()`, which encodes a placeholder then (once); so a held value that strays still
 *   arrives whole. Off by default: every process but one-thread standalone encodes as before.
 */

/** A value's place on the bus: no bytes until `wire()` needs them. */
class Placeholder extends Uint8Array {
  // slice/subarray/map make plain (empty) arrays, not placeholders
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  bytes: Uint8Array | undefined;
  constructor(
    readonly kind: string,
    readonly value: unknown,
    private readonly copy: (v: never) => unknown,
    private readonly encode: (v: never) => Uint8Array,
  ) {
    super(0);
  }

  /** A fresh copy of the value (every decode gets its own). */
  take(): unknown {
    return this.copy(this.value as never);
  }

  toBytes(): Uint8Array {
    return (this.bytes ??= this.encode(this.value as never));
  }
}

let local = false;

/** Standalone with one thread on the in-process bus: frames and Acks stay objects. */
export function keepBusValuesLocal(on = true): void {
  local = on;
}

/**
 * A placeholder for `value` (of codec `kind`), or undefined when values are not kept local. `copy`
 * makes what decoding the bytes would make (the codec's own mapping from its wire shape), used once
 * here (a snapshot: the sender may change its object afterwards) and once per decode.
 */
export function holdLocal<T>(kind: string, value: T, copy: (v: T) => T, encode: (v: T) => Uint8Array): Uint8Array | undefined {
  if (!local) return undefined;
  return new Placeholder(kind, copy(value), copy, encode);
}

/** A copy of the value `b` holds, when it holds one of `kind`. */
export function heldValue<T>(b: Uint8Array, kind: string): T | undefined {
  return b instanceof Placeholder && b.kind === kind ? (b.take() as T) : undefined;
}

/** The bytes to send out of the process: a placeholder is encoded now (once), anything else is itself. */
export function wire(b: Uint8Array): Uint8Array {
  return b instanceof Placeholder ? b.toBytes() : b;
}
