export { Element, xml, type Node, type Attrs } from './element.js';
export { escapeAttr, escapeText } from './escape.js';
export { reparseLimits, type XmlLimits } from './limits.js';
export { XmlParseError, type XmlErrorCondition } from './errors.js';
export { StreamParser } from './stream-parser.js';
export { parseElement } from './parse-element.js';
