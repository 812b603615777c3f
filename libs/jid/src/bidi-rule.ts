/**
 * The Bidi Rule of RFC 5893 §2, which RFC 8265 §3.3 applies to usernames that contain
 * right-to-left characters. Approximation: JavaScript exposes no Bidi_Class property, so classes
 * are derived from General_Category and Script: letters of right-to-left scripts are R/AL, the
 * Arabic-Indic digits AN, European digits EN, marks NSM, other letters and digits L, everything else
 * a neutral (ES, CS, ET, ON, BN).
 */
type BidiClass = 'L' | 'R' | 'AN' | 'EN' | 'NSM' | 'ON';

const NSM = /^[\p{Mn}\p{Me}]$/u;
const AN = /^[\u0600-\u0605\u0660-\u0669\u066b\u066c\u06dd\u0890\u0891\u08e2\u{10d30}-\u{10d39}\u{10e60}-\u{10e7e}]$/u;
const EN = /^[0-9\u00b2\u00b3\u00b9\u06f0-\u06f9\u2070\u2074-\u2079\u2080-\u2089\u2488-\u249b\uff10-\uff19\u{1d7ce}-\u{1d7ff}\u{1f100}-\u{1f10a}]$/u;
const RTL_SCRIPT =
  /^[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}\p{Script=Mende_Kikakui}\p{Script=Imperial_Aramaic}\p{Script=Phoenician}\p{Script=Kharoshthi}\p{Script=Avestan}\p{Script=Old_South_Arabian}\p{Script=Old_North_Arabian}\p{Script=Nabataean}\p{Script=Palmyrene}\p{Script=Hatran}\p{Script=Manichaean}\p{Script=Psalter_Pahlavi}\p{Script=Inscriptional_Pahlavi}\p{Script=Inscriptional_Parthian}\p{Script=Lydian}\p{Script=Cypriot}\p{Script=Old_Hungarian}\p{Script=Sogdian}\p{Script=Old_Sogdian}\p{Script=Elymaic}\p{Script=Chorasmian}\p{Script=Yezidi}\p{Script=Meroitic_Cursive}\p{Script=Meroitic_Hieroglyphs}\p{Script=Old_Turkic}]$/u;
const RTL_FORMS = /^[\ufb1d-\ufdff\ufe70-\ufefe]$/u;
const LETTERISH = /^[\p{L}\p{Mc}\p{Nd}\p{Nl}\p{No}]$/u;

function bidiClass(cp: number): BidiClass {
  if (cp < 0x80) {
    if ((cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a)) return 'L';
    return cp >= 0x30 && cp <= 0x39 ? 'EN' : 'ON';
  }
  const ch = String.fromCodePoint(cp);
  if (NSM.test(ch)) return 'NSM';
  if (AN.test(ch)) return 'AN';
  if (EN.test(ch)) return 'EN';
  if (LETTERISH.test(ch)) return RTL_SCRIPT.test(ch) || RTL_FORMS.test(ch) ? 'R' : 'L';
  return 'ON';
}

/** Returns a reason when the string breaks the rule, undefined when it passes or is all left-to-right. */
export function bidiRuleViolation(cps: number[]): string | undefined {
  const classes = cps.map(bidiClass);
  const rtl = classes.some((c) => c === 'R' || c === 'AN');
  if (!rtl) return undefined;
  if (classes[0] !== 'R') return 'a right-to-left string must start with a right-to-left letter';
  if (classes.includes('L')) return 'left-to-right letters in a right-to-left string';
  let last = classes.length - 1;
  while (last > 0 && classes[last] === 'NSM') last--;
  const end = classes[last];
  if (end !== 'R' && end !== 'EN' && end !== 'AN') return 'a right-to-left string must end with a letter or digit';
  if (classes.includes('EN') && classes.includes('AN')) return 'European and Arabic-Indic digits mixed';
  return undefined;
}
