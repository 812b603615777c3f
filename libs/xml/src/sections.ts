import { XmlParseError } from './errors.js';

/** Where a section ends: its content and the index after its terminator in the current chunk. */
export interface SectionEnd {
  body: string;
  next: number;
}

/**
 * Looks for the ']]>' closing a CDATA section, given what was already read of it (`acc`) and the
 * current chunk from i. The terminator may straddle chunks ('x]' + ']>'); searching the chunk
 * itself, without copies, keeps many small sections linear. Undefined: not closed yet.
 */
export function cdataEnd(acc: string, s: string, i: number): SectionEnd | undefined {
  if (acc.charCodeAt(acc.length - 1) === 93 /* ] */) {
    if (acc.charCodeAt(acc.length - 2) === 93 && s.charCodeAt(i) === 62) return { body: acc.slice(0, -2), next: i + 1 };
    if (s.charCodeAt(i) === 93 && s.charCodeAt(i + 1) === 62) return { body: acc.slice(0, -1), next: i + 2 };
  }
  const k = s.indexOf(']]>', i);
  return k < 0 ? undefined : { body: acc + s.slice(i, k), next: k + 3 };
}

/** The same for the '?>' closing an XML declaration. */
export function declEnd(acc: string, s: string, i: number): SectionEnd | undefined {
  if (acc.charCodeAt(acc.length - 1) === 63 /* ? */ && s.charCodeAt(i) === 62) return { body: acc.slice(0, -1), next: i + 1 };
  const k = s.indexOf('?>', i);
  return k < 0 ? undefined : { body: acc + s.slice(i, k), next: k + 2 };
}

const MAX_DECL = 256; // a real XML declaration is under 100 characters
const S = '[ \\t\\r\\n]';
const XML_DECL = new RegExp(
  `^xml${S}+version${S}*=${S}*(["'])1\\.[0-9]+\\1` +
    `(?:${S}+encoding${S}*=${S}*(["'])([A-Za-z][A-Za-z0-9._-]*)\\2)?` +
    `(?:${S}+standalone${S}*=${S}*(["'])(?:yes|no)\\4)?${S}*$`,
);
const XML_TARGET = /^xml[ \t\r\n]/;

/**
 * Checks the content of '<?...?>' read so far (complete or not) as the stream's XML declaration:
 * any other processing instruction is restricted (RFC 6120 §11.1), only UTF-8 is supported (§11.6).
 */
export function checkXmlDeclaration(body: string, complete: boolean): void {
  if ((complete || body.length >= 4) && !XML_TARGET.test(body)) {
    throw new XmlParseError('restricted-xml', 'processing instructions are not allowed');
  }
  if (!complete) {
    if (body.length > MAX_DECL) throw new XmlParseError('not-well-formed', 'XML declaration too long');
    return;
  }
  const m = XML_DECL.exec(body);
  if (!m) throw new XmlParseError('not-well-formed', 'malformed XML declaration');
  if (m[3] !== undefined && m[3].toLowerCase() !== 'utf-8') {
    throw new XmlParseError('unsupported-encoding', `encoding ${m[3]} is not supported: use UTF-8`);
  }
}
