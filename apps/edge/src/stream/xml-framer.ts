import { parseElement, StreamParser, XmlParseError, type Element, type XmlLimits } from '#libs/xml';
import { NS } from '#libs/stanza';

export interface FramerEvents {
  start(name: string, attrs: Record<string, string>): void;
  element(el: Element, size: number): void;
  end(): void;
  error(condition: string, text: string): void;
}

/** Bytes or WebSocket messages in, stream events out: the only place the two framings differ. */
export interface XmlFramer {
  write(data: Buffer | string): void;
  reset(): void;
  setLimits(limits: XmlLimits): void;
}

export function createFramer(framed: boolean, limits: XmlLimits, on: FramerEvents): XmlFramer {
  if (!framed) {
    const parser = new StreamParser({ limits });
    parser.onStreamStart = (name, attrs) => on.start(name, attrs);
    parser.onElement = (el, size) => on.element(el, size);
    parser.onStreamEnd = () => on.end();
    parser.onError = (condition, text) => on.error(condition, text);
    return parser;
  }
  let current = limits;
  let failed = false;
  return {
    write(data) {
      if (failed) return;
      const text = String(data);
      let el: Element;
      try {
        el = parseElement(text, current);
      } catch (err) {
        failed = true;
        if (err instanceof XmlParseError) on.error(err.condition, err.message);
        else on.error('not-well-formed', (err as Error).message);
        return;
      }
      if (el.attrs.xmlns === NS.framing && el.name === 'open') on.start(el.name, el.attrs);
      else if (el.attrs.xmlns === NS.framing && el.name === 'close') on.end();
      else on.element(el, Buffer.byteLength(text));
    },
    reset() {
      failed = false;
    },
    setLimits(l) {
      current = l;
    },
  };
}
