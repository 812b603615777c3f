/**
 * XEP-0198 §4: `h` is an unsigned 32-bit count that wraps to zero at 2^32. The server keeps full
 * counts (JavaScript numbers, exact far beyond any session's life) and converts at the wire.
 */
export const WRAP = 2 ** 32;

/** The full count as the wire's `h`. */
export function toWire(full: number): number {
  return full % WRAP;
}

/** Parses an `h` attribute: a decimal integer in [0, 2^32), else undefined. */
export function parseH(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return undefined;
  const h = Number(value);
  return h < WRAP ? h : undefined;
}

/**
 * The full count a peer's `h` stands for, given the last full count it acknowledged (`base`): the
 * smallest full count at or after `base` whose wire value is `h` (a peer never goes back, and never
 * acknowledges 2^32 stanzas at once).
 */
export function fromWire(h: number, base: number): number {
  return base + ((h - (base % WRAP) + WRAP) % WRAP);
}
