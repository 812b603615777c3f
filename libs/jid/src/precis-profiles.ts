import { bidiRuleViolation } from './bidi-rule.js';
import { contextAllows } from './precis-context.js';
import { Precis, precisProperty } from './precis-class.js';

/** RFC 7622 §3.3.1: characters a localpart may not hold even though IdentifierClass allows them. */
const LOCAL_FORBIDDEN = new Set([0x22, 0x26, 0x27, 0x2f, 0x3a, 0x3c, 0x3e, 0x40]);
const ZS = /\p{Zs}/gu;

/** Fullwidth and halfwidth forms to their decompositions (RFC 8265 §3.3.1 width mapping). */
function widthMap(s: string): string {
  return s.replace(/[\uff01-\uffee]/g, (c) => c.normalize('NFKC'));
}

function codePoints(s: string): number[] {
  const cps: number[] = [];
  for (const ch of s) cps.push(ch.codePointAt(0)!);
  return cps;
}

/** Returns the offending reason, or undefined when every code point is allowed (RFC 8264 §9). */
function classViolation(cps: number[], freeform: boolean): string | undefined {
  for (let i = 0; i < cps.length; i++) {
    const p = precisProperty(cps[i]!);
    if (p === Precis.PVALID || (freeform && p === Precis.FREE)) continue;
    if ((p === Precis.CONTEXTJ || p === Precis.CONTEXTO) && contextAllows(cps, i)) continue;
    return `character U+${cps[i]!.toString(16).toUpperCase().padStart(4, '0')} is not allowed`;
  }
  return undefined;
}

/**
 * UsernameCaseMapped (RFC 8265 §3.3) enforcement with RFC 7622 §3.3.1's extra exclusions.
 * Returns the enforced string or throws the reason as a string-carrying Error.
 */
export function enforceLocalpart(input: string): string {
  const s = widthMap(input).toLowerCase().normalize('NFC');
  if (s === '') throw new Error('empty localpart');
  const cps = codePoints(s);
  for (const cp of cps) if (LOCAL_FORBIDDEN.has(cp)) throw new Error(`localpart may not contain ${String.fromCodePoint(cp)}`);
  const bad = classViolation(cps, false) ?? bidiRuleViolation(cps);
  if (bad) throw new Error(`localpart: ${bad}`);
  return s;
}

/** OpaqueString (RFC 8265 §4.2) enforcement, as RFC 7622 §3.4 requires for resourceparts. */
export function enforceResourcepart(input: string): string {
  const s = input.replace(ZS, ' ').normalize('NFC');
  if (s === '') throw new Error('empty resourcepart');
  const bad = classViolation(codePoints(s), true);
  if (bad) throw new Error(`resourcepart: ${bad}`);
  return s;
}

const NON_ASCII_SPACE = /[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/g;

/**
 * Nickname profile (RFC 8266 §2.3) enforcement: non-ASCII spaces to SPACE, leading and trailing
 * spaces stripped and runs of spaces collapsed (the additional mapping rule), NFKC, FreeformClass
 * characters only, not empty. Case is kept: that is how the name is shown. Throws the reason.
 */
export function enforceNickname(input: string): string {
  const s = input.replace(NON_ASCII_SPACE, ' ').replace(/ {2,}/g, ' ').trim().normalize('NFKC');
  if (s === '') throw new Error('empty nickname');
  const bad = classViolation(codePoints(s), true);
  if (bad) throw new Error(`nickname: ${bad}`);
  return s;
}

/** Nickname profile comparison (RFC 8266 §2.4): two nicknames are the same when these are equal. */
export function nicknameKey(input: string): string {
  return enforceNickname(input).toLowerCase().normalize('NFKC');
}
