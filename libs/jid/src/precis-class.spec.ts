import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Precis, precisProperty } from './precis-class.js';

describe('precisProperty (RFC 8264 §8)', () => {
  const cases: [string, number, Precis][] = [
    ['ASCII letter', 0x61, Precis.PVALID],
    ['ASCII punctuation', 0x21, Precis.PVALID],
    ['space (Zs)', 0x20, Precis.FREE],
    ['no-break space (HasCompat)', 0xa0, Precis.FREE],
    ['fullwidth A (HasCompat)', 0xff21, Precis.FREE],
    ['Roman numeral four (HasCompat)', 0x2163, Precis.FREE],
    ['black chess king (So)', 0x265a, Precis.FREE],
    ['e acute (Ll)', 0xe9, Precis.PVALID],
    ['combining acute (Mn)', 0x301, Precis.PVALID],
    ['Han ideograph (Lo)', 0x65e5, Precis.PVALID],
    ['sharp s (exception)', 0xdf, Precis.PVALID],
    ['final sigma (exception)', 0x3c2, Precis.PVALID],
    ['Arabic tatweel (exception)', 0x640, Precis.DISALLOWED],
    ['middle dot (exception, CONTEXTO)', 0xb7, Precis.CONTEXTO],
    ['Arabic-Indic digit (CONTEXTO)', 0x661, Precis.CONTEXTO],
    ['zero width joiner', 0x200d, Precis.CONTEXTJ],
    ['soft hyphen (default ignorable)', 0xad, Precis.DISALLOWED],
    ['NUL (Cc)', 0x0, Precis.DISALLOWED],
    ['DEL (Cc)', 0x7f, Precis.DISALLOWED],
    ['noncharacter', 0xfdd0, Precis.DISALLOWED],
    ['old Hangul jamo', 0x1100, Precis.DISALLOWED],
    ['unassigned', 0x378, Precis.UNASSIGNED],
    ['private use (Co)', 0xe000, Precis.DISALLOWED],
    ['line separator (Zl)', 0x2028, Precis.DISALLOWED],
  ];
  for (const [what, cp, expected] of cases) it(what, () => assert.equal(precisProperty(cp), expected));
});
