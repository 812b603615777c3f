import { isXmlChar } from './chars.js';
import { XmlParseError } from './errors.js';

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ATTR_SPECIAL = /[\t\n\r&]/;
const DECIMAL = /^#[0-9]{1,10}$/;
const HEX = /^#x[0-9a-fA-F]{1,8}$/;
const NAME = /^[A-Za-z_:\u00c0-\uffff][A-Za-z0-9_:.\u00b7\u00c0-\uffff-]*$/;

/**
 * Replaces the five predefined entities and character references (XML 1.0 §4.1). Any other entity
 * reference would need a DTD, which RFC 6120 §11.1 forbids: that is `restricted-xml`.
 */
export function decodeEntities(raw: string): string {
  let amp = raw.indexOf('&');
  if (amp < 0) return raw;
  let out = '';
  let last = 0;
  while (amp >= 0) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi < 0) throw new XmlParseError('not-well-formed', "'&' not followed by a reference ending in ';'");
    const ref = raw.slice(amp + 1, semi);
    out += raw.slice(last, amp) + resolve(ref);
    last = semi + 1;
    amp = raw.indexOf('&', last);
  }
  return out + raw.slice(last);
}

function resolve(ref: string): string {
  const predefined = PREDEFINED[ref];
  if (predefined !== undefined && Object.hasOwn(PREDEFINED, ref)) return predefined;
  if (ref.charCodeAt(0) === 35 /* # */) {
    let cp = -1;
    if (DECIMAL.test(ref)) cp = Number.parseInt(ref.slice(1), 10);
    else if (HEX.test(ref)) cp = Number.parseInt(ref.slice(2), 16);
    if (!isXmlChar(cp)) throw new XmlParseError('not-well-formed', `invalid character reference &${ref.slice(0, 12)};`);
    return String.fromCodePoint(cp);
  }
  if (NAME.test(ref)) throw new XmlParseError('restricted-xml', `entity reference &${ref.slice(0, 32)}; is not allowed`);
  throw new XmlParseError('not-well-formed', "'&' not followed by a valid reference");
}

/** Attribute-value normalisation (XML 1.0 §3.3.3) for CDATA attributes, then references. */
export function decodeAttribute(raw: string): string {
  if (!ATTR_SPECIAL.test(raw)) return raw;
  return decodeEntities(raw.replace(/\r\n|[\r\n\t]/g, ' '));
}

/** End-of-line handling (XML 1.0 §2.11), then references. ']]>' may not appear in character data. */
export function decodeText(raw: string): string {
  if (raw.indexOf(']]>') >= 0) throw new XmlParseError('not-well-formed', "']]>' in character data");
  const s = raw.indexOf('\r') >= 0 ? raw.replace(/\r\n?/g, '\n') : raw;
  return decodeEntities(s);
}
