// Tab, newline and carriage return are escaped in attributes (and CR in text) so a value survives a
// re-parse unchanged: XML 1.0 §3.3.3 and §2.11 normalise them when they appear literally.
const ATTR: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const TEXT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

// Tested first: most values have nothing to escape, and a test costs less than a replace that finds nothing.
// (The test uses a non-global copy: a global regex's test() keeps lastIndex between calls.)
const ATTR_SPECIAL = /[&<>"'\t\n\r]/g;
const TEXT_SPECIAL = /[&<>\r]/g;
const ATTR_ANY = new RegExp(ATTR_SPECIAL.source);
const TEXT_ANY = new RegExp(TEXT_SPECIAL.source);

export function escapeAttr(value: string): string {
  return ATTR_ANY.test(value) ? value.replace(ATTR_SPECIAL, (c) => ATTR[c]!) : value;
}

export function escapeText(value: string): string {
  return TEXT_ANY.test(value) ? value.replace(TEXT_SPECIAL, (c) => TEXT[c]!) : value;
}
