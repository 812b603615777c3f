export { Element, xml, type Node, type Attrs } from './element.js';
export { escapeAttr, escapeText } from './escape.js';
