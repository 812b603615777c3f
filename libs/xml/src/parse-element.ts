import type { Element } from './element.js';
import { FORBIDDEN_CHAR } from './chars.js';
import { XmlParseError } from './errors.js';
import type { XmlLimits } from './limits.js';
import { XmlCore } from './xml-core.js';

/**
 * One complete element from one RFC 7395 WebSocket message (<open/>, <close/> or a stanza), under
 * the same restrictions and limits as a stream. Throws XmlParseError.
 */
export function parseElement(text: string, limits: XmlLimits): Element {
  let result: Element | undefined;
  const core = new XmlCore(limits, true, {
    start: () => {},
    element: (el) => {
      result = el;
    },
    end: () => {},
  });
  // A frame far over the limit is refused before any work (UTF-16 units never exceed UTF-8 bytes).
  if (text.length > limits.maxStanzaBytes * 2 + 1024) throw new XmlParseError('policy-violation', `element larger than ${limits.maxStanzaBytes} bytes`);
  const bad = FORBIDDEN_CHAR.exec(text);
  if (bad) throw new XmlParseError('not-well-formed', 'character not allowed in XML');
  if (!(text as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new XmlParseError('not-well-formed', 'unpaired surrogate');
  core.feed(text);
  if (result === undefined) throw new XmlParseError(core.pending ? 'not-well-formed' : 'bad-format', 'no complete element');
  return result;
}
