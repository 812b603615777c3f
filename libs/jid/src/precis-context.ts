/**
 * Contextual rules for CONTEXTJ and CONTEXTO code points (RFC 5892 Appendix A, RFC 8264 §9.10).
 * Approximation: ZERO WIDTH (NON-)JOINER is accepted only after a virama (Canonical_Combining_Class
 * 9, listed below since JavaScript has no ccc property); the ZWNJ Joining_Type rule is not
 * implemented, so such ZWNJ are rejected.
 */
const VIRAMA = new Set([
  0x094d, 0x09cd, 0x0a4d, 0x0acd, 0x0b4d, 0x0bcd, 0x0c4d, 0x0ccd, 0x0d3b, 0x0d3c, 0x0d4d, 0x0dca, 0x0e3a, 0x0eba, 0x0f84, 0x1039, 0x103a, 0x1714, 0x1715,
  0x1734, 0x17d2, 0x1a60, 0x1b44, 0x1baa, 0x1bab, 0x1bf2, 0x1bf3, 0x2d7f, 0xa806, 0xa82c, 0xa8c4, 0xa953, 0xa9c0, 0xaaf6, 0xabed, 0x10a3f, 0x11046, 0x11070,
  0x1107f, 0x110b9, 0x11133, 0x11134, 0x111c0, 0x11235, 0x112ea, 0x1134d, 0x11442, 0x114c2, 0x115bf, 0x1163f, 0x116b6, 0x1172b, 0x11839, 0x1193d, 0x1193e,
  0x119e0, 0x11a34, 0x11a47, 0x11a99, 0x11c3f, 0x11d44, 0x11d45, 0x11d97,
]);
const GREEK = /^\p{Script=Greek}$/u;
const HEBREW = /^\p{Script=Hebrew}$/u;
const KANA_HAN = /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u;

/** Whether the code point at index i of cps may stand there; cps is the whole string. */
export function contextAllows(cps: number[], i: number): boolean {
  const cp = cps[i]!;
  const before = i > 0 ? cps[i - 1]! : -1;
  const after = i + 1 < cps.length ? cps[i + 1]! : -1;
  switch (cp) {
    case 0x200c:
    case 0x200d:
      return VIRAMA.has(before);
    case 0x00b7:
      return before === 0x6c && after === 0x6c;
    case 0x0375:
      return after >= 0 && GREEK.test(String.fromCodePoint(after));
    case 0x05f3:
    case 0x05f4:
      return before >= 0 && HEBREW.test(String.fromCodePoint(before));
    case 0x30fb:
      return cps.some((c) => c !== 0x30fb && KANA_HAN.test(String.fromCodePoint(c)));
  }
  if (cp >= 0x0660 && cp <= 0x0669) return !cps.some((c) => c >= 0x06f0 && c <= 0x06f9);
  if (cp >= 0x06f0 && cp <= 0x06f9) return !cps.some((c) => c >= 0x0660 && c <= 0x0669);
  return false;
}
