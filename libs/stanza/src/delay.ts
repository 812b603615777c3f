import { type Element, xml } from '#libs/xml';
import { NS } from './namespaces.js';

/** XEP-0203 delayed delivery: stamp in XEP-0082 UTC form (milliseconds kept, as the format allows). */
export function delayElement(from: string, stamp: Date, text?: string): Element {
  return xml('delay', { xmlns: NS.delay, from, stamp: stamp.toISOString() }, text);
}
