import type { Attrs, Element } from './element.js';
import { FORBIDDEN_CHAR } from './chars.js';
import { XmlParseError, type XmlErrorCondition } from './errors.js';
import type { XmlLimits } from './limits.js';
import { XmlCore } from './xml-core.js';

const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/**
 * The XML framer of one XMPP stream (RFC 6120 §4, §11): bytes in, the stream header, whole
 * top-level elements and the stream's end out. Restricted and bounded: see README.md.
 */
export class StreamParser {
  onStreamStart: (name: string, attrs: Attrs) => void = () => {};
  onElement: (el: Element, size: number) => void = () => {};
  onStreamEnd: () => void = () => {};
  onError: (condition: XmlErrorCondition, text: string) => void = () => {};

  private readonly core: XmlCore;
  private decoder = new TextDecoder('utf-8', { fatal: true });
  private failed = false;
  private highSurrogate = ''; // a string chunk may end between the halves of a pair

  constructor(opts: { limits: XmlLimits }) {
    this.core = new XmlCore(opts.limits, false, {
      start: (name, attrs) => this.onStreamStart(name, attrs),
      element: (el, size) => this.onElement(el, size),
      end: () => this.onStreamEnd(),
    });
  }

  write(chunk: Buffer | string): void {
    if (this.failed) return;
    let text: string;
    if (typeof chunk === 'string') {
      text = this.highSurrogate + chunk;
      this.highSurrogate = '';
      const last = text.charCodeAt(text.length - 1);
      if (last >= 0xd800 && last <= 0xdbff) {
        this.highSurrogate = text.slice(-1);
        text = text.slice(0, -1);
      }
      if (!isWellFormed(text)) return this.fail(new XmlParseError('not-well-formed', 'unpaired surrogate'));
    } else {
      try {
        text = this.decoder.decode(chunk, { stream: true });
      } catch {
        return this.fail(new XmlParseError('not-well-formed', 'invalid UTF-8'));
      }
    }
    const bad = FORBIDDEN_CHAR.exec(text);
    this.feed(bad ? text.slice(0, bad.index) : text);
    if (bad && !this.failed) {
      const code = text.charCodeAt(bad.index).toString(16).padStart(4, '0');
      this.fail(new XmlParseError('not-well-formed', `character U+${code} is not allowed in XML`));
    }
  }

  setLimits(limits: XmlLimits): void {
    this.core.limits = limits;
  }

  /** Stream restart (RFC 6120 §4.3.3): after STARTTLS and SASL success a new header follows. */
  reset(): void {
    this.core.reset();
    this.decoder = new TextDecoder('utf-8', { fatal: true });
    this.failed = false;
    this.highSurrogate = '';
  }

  private feed(text: string): void {
    if (text === '') return;
    try {
      this.core.feed(text);
    } catch (err) {
      if (err instanceof XmlParseError) this.fail(err);
      else throw err;
    }
  }

  private fail(err: XmlParseError): void {
    this.failed = true;
    this.onError(err.condition, err.message);
  }
}
