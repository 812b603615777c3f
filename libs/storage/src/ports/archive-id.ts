import { randomBytes } from 'node:crypto';

/** Crockford base32: ids sort as strings in creation order (ULID layout). */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;

let lastMs = -1;
let lastRandom: number[] = [];

/**
 * A new archive id, which is also the XEP-0359 stanza-id: 26 characters, 48 bits of milliseconds
 * then 80 random bits (the ULID layout), so string order is time order across replicas and ids
 * from one process are strictly increasing even within one millisecond (the random part counts up).
 * XEP-0359 §4 asks for unique, unguessable-enough ids that a client treats as opaque.
 */
export function newArchiveId(now = Date.now()): string {
  if (now <= lastMs) {
    increment(lastRandom);
    now = lastMs;
  } else {
    lastMs = now;
    lastRandom = [...randomBytes(RANDOM_CHARS)].map((b) => b & 31);
  }
  let time = '';
  for (let t = now, i = 0; i < TIME_CHARS; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32]! + time;
  return time + lastRandom.map((d) => ALPHABET[d]).join('');
}

/** The time an id was made (for `#extended` metadata and retention of ids alone). */
export function archiveIdTime(id: string): Date | undefined {
  if (!isArchiveId(id)) return undefined;
  let t = 0;
  for (const c of id.slice(0, TIME_CHARS)) t = t * 32 + ALPHABET.indexOf(c);
  return new Date(t);
}

export function isArchiveId(id: string): boolean {
  return /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id);
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]!++;
      return;
    }
    digits[i] = 0;
  }
}
