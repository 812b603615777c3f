/**
 * The PRECIS derived property of a code point (RFC 8264 §8), computed from Unicode properties that
 * V8 exposes through regular expressions, so it follows the Unicode version of the running Node.
 * Approximation: Old Hangul Jamo (Hangul_Syllable_Type L/V/T) are hard-coded ranges.
 */
export const enum Precis {
  PVALID,
  /** ID_DIS in IdentifierClass, FREE_PVAL in FreeformClass. */
  FREE,
  CONTEXTJ,
  CONTEXTO,
  DISALLOWED,
  UNASSIGNED,
}

// RFC 5892 §2.6 exceptions, reused by RFC 8264 §9.6.
const EXCEPTIONS = new Map<number, Precis>([
  [0x00df, Precis.PVALID],
  [0x03c2, Precis.PVALID],
  [0x06fd, Precis.PVALID],
  [0x06fe, Precis.PVALID],
  [0x0f0b, Precis.PVALID],
  [0x3007, Precis.PVALID],
  [0x00b7, Precis.CONTEXTO],
  [0x0375, Precis.CONTEXTO],
  [0x05f3, Precis.CONTEXTO],
  [0x05f4, Precis.CONTEXTO],
  [0x30fb, Precis.CONTEXTO],
  [0x0640, Precis.DISALLOWED],
  [0x07fa, Precis.DISALLOWED],
  [0x302e, Precis.DISALLOWED],
  [0x302f, Precis.DISALLOWED],
  [0x3031, Precis.DISALLOWED],
  [0x3032, Precis.DISALLOWED],
  [0x3033, Precis.DISALLOWED],
  [0x3034, Precis.DISALLOWED],
  [0x3035, Precis.DISALLOWED],
  [0x303b, Precis.DISALLOWED],
]);
for (let cp = 0x0660; cp <= 0x0669; cp++) EXCEPTIONS.set(cp, Precis.CONTEXTO);
for (let cp = 0x06f0; cp <= 0x06f9; cp++) EXCEPTIONS.set(cp, Precis.CONTEXTO);

const UNASSIGNED = /^\p{Cn}$/u;
const NONCHARACTER = /^\p{Noncharacter_Code_Point}$/u;
const IGNORABLE = /^\p{Default_Ignorable_Code_Point}$/u;
const CONTROL = /^\p{Cc}$/u;
const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const OTHER_LETTER_DIGITS = /^[\p{Lt}\p{Nl}\p{No}\p{Me}]$/u;
const SPACES = /^\p{Zs}$/u;
const SYMBOLS = /^[\p{Sm}\p{Sc}\p{Sk}\p{So}]$/u;
const PUNCTUATION = /^\p{P}$/u;

function isOldHangulJamo(cp: number): boolean {
  return (cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97c) || (cp >= 0xd7b0 && cp <= 0xd7fb);
}

const cache = new Map<number, Precis>();

export function precisProperty(cp: number): Precis {
  if (cp >= 0x21 && cp <= 0x7e) return Precis.PVALID;
  let p = cache.get(cp);
  if (p === undefined) {
    p = compute(cp);
    if (cache.size < 65536) cache.set(cp, p);
  }
  return p;
}

function compute(cp: number): Precis {
  const exception = EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  const ch = String.fromCodePoint(cp);
  if (UNASSIGNED.test(ch) && !NONCHARACTER.test(ch)) return Precis.UNASSIGNED;
  if (cp === 0x200c || cp === 0x200d) return Precis.CONTEXTJ;
  if (isOldHangulJamo(cp)) return Precis.DISALLOWED;
  if (IGNORABLE.test(ch) || NONCHARACTER.test(ch)) return Precis.DISALLOWED;
  if (CONTROL.test(ch)) return Precis.DISALLOWED;
  if (ch.normalize('NFKC') !== ch) return Precis.FREE; // HasCompat
  if (LETTER_DIGITS.test(ch)) return Precis.PVALID;
  if (OTHER_LETTER_DIGITS.test(ch) || SPACES.test(ch) || SYMBOLS.test(ch) || PUNCTUATION.test(ch)) return Precis.FREE;
  return Precis.DISALLOWED;
}
