/**
 * Character classes of XML 1.0 (fifth edition) §2.2 and §2.3, tuned for the hot path: an ASCII
 * lookup table, ranges only for the rest. Surrogate code units count as name characters: that is
 * [#x10000-#xEFFFF] approximated to all astral planes, which are checked for well-formedness
 * (paired surrogates) before they get here.
 */
const START = 1;
const NAME = 2;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
  if (letter) ASCII[c] = START | NAME;
  else if ((c >= 48 && c <= 57) || c === 45 || c === 46) ASCII[c] = NAME;
}

export function isNameStartChar(c: number): boolean {
  if (c < 128) return (ASCII[c]! & START) !== 0;
  return (
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2ff) ||
    (c >= 0x370 && c <= 0x37d) ||
    (c >= 0x37f && c <= 0x1fff) ||
    c === 0x200c ||
    c === 0x200d ||
    (c >= 0x2070 && c <= 0x218f) ||
    (c >= 0x2c00 && c <= 0x2fef) ||
    (c >= 0x3001 && c <= 0xdfff) ||
    (c >= 0xf900 && c <= 0xfdcf) ||
    (c >= 0xfdf0 && c <= 0xfffd)
  );
}

export function isNameChar(c: number): boolean {
  if (c < 128) return ASCII[c]! !== 0;
  return c === 0xb7 || (c >= 0x300 && c <= 0x36f) || c === 0x203f || c === 0x2040 || isNameStartChar(c);
}

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
}

/** Code points XML 1.0 §2.2 `Char` allows (for character references). */
export function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/** Code units that can never appear literally in an XML 1.0 document (after UTF-8 decoding). */
// eslint-disable-next-line no-control-regex -- these control characters are exactly what XML 1.0 §2.2 forbids
export const FORBIDDEN_CHAR = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/;

/** UTF-8 length of s[from, to), counted on UTF-16 code units (a surrogate pair is 2 + 2 bytes). */
export function utf8Length(s: string, from: number, to: number): number {
  if (to - from > 64) return Buffer.byteLength(s.slice(from, to), 'utf8');
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return n;
}

/** A QName of Namespaces in XML 1.0 §4: at most one colon, not at either end. */
export function isQName(name: string): boolean {
  const colon = name.indexOf(':');
  if (colon < 0) return true;
  return colon > 0 && colon < name.length - 1 && name.indexOf(':', colon + 1) < 0;
}
