// A minimal streaming splitter for the load generator: it cuts well-formed server output into the
// stream header and the top-level elements, as strings, without building a tree. It trusts the
// server (no DTD, entity or limit checks): it is a measuring tool, not a server edge.

export interface SplitterEvents {
  onStreamStart(tag: string): void;
  onElement(xml: string): void;
  onStreamEnd(): void;
}

const LT = 60; // <
const GT = 62; // >
const SLASH = 47;
const QUOT = 34;
const APOS = 39;

export class Splitter {
  private buf = '';
  private pos = 0;
  private depth = 0;
  private elementStart = -1;

  constructor(private readonly events: SplitterEvents) {}

  /** Forgets everything: after STARTTLS and SASL success the stream restarts. */
  reset(): void {
    this.buf = '';
    this.pos = 0;
    this.depth = 0;
    this.elementStart = -1;
  }

  push(chunk: string): void {
    if (this.pos >= this.buf.length && this.elementStart < 0) {
      this.buf = chunk;
      this.pos = 0;
    } else {
      this.buf += chunk;
    }
    this.scan();
    this.compact();
  }

  private scan(): void {
    const buf = this.buf;
    while (true) {
      const lt = buf.indexOf('<', this.pos);
      if (lt < 0) {
        this.pos = buf.length;
        return;
      }
      const second = buf.charCodeAt(lt + 1);
      if (Number.isNaN(second)) {
        this.pos = lt;
        return;
      }
      if (second === 63 /* ? */ || second === 33 /* ! */) {
        const close = second === 63 ? '?>' : buf.startsWith('<![CDATA[', lt) ? ']]>' : '>';
        const end = buf.indexOf(close, lt + 2);
        if (end < 0) {
          this.pos = lt;
          return;
        }
        this.pos = end + close.length;
        continue;
      }
      const gt = findTagEnd(buf, lt + 1);
      if (gt < 0) {
        this.pos = lt;
        return;
      }
      this.pos = gt + 1;
      if (second === SLASH) {
        this.depth--;
        if (this.depth === 1 && this.elementStart >= 0) {
          this.emit(buf.slice(this.elementStart, gt + 1));
        } else if (this.depth <= 0) {
          this.depth = 0;
          this.events.onStreamEnd();
        }
      } else if (buf.charCodeAt(gt - 1) === SLASH) {
        if (this.depth === 1) this.emit(buf.slice(lt, gt + 1));
      } else if (this.depth === 0) {
        this.depth = 1;
        this.events.onStreamStart(buf.slice(lt, gt + 1));
      } else {
        if (this.depth === 1) this.elementStart = lt;
        this.depth++;
      }
    }
  }

  private emit(xml: string): void {
    this.elementStart = -1;
    this.events.onElement(xml);
  }

  private compact(): void {
    const keepFrom = this.elementStart >= 0 ? this.elementStart : this.pos;
    if (keepFrom === 0) return;
    this.buf = this.buf.slice(keepFrom);
    this.pos -= keepFrom;
    if (this.elementStart >= 0) this.elementStart = 0;
  }
}

/** Index of the `>` closing the tag that starts before `from`, skipping quoted attribute values. */
function findTagEnd(buf: string, from: number): number {
  let quote = 0;
  for (let i = from; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === GT) {
      return i;
    } else if (c === QUOT || c === APOS) {
      quote = c;
    } else if (c === LT) {
      return -1;
    }
  }
  return -1;
}

/** Value of attribute `name` in the first tag of `xml` (no entity decoding). */
export function attr(xml: string, name: string): string | undefined {
  const end = xml.indexOf('>');
  const head = end < 0 ? xml : xml.slice(0, end);
  let i = head.indexOf(` ${name}=`);
  if (i < 0) return undefined;
  i += name.length + 2;
  const q = head[i] ?? '';
  const close = head.indexOf(q, i + 1);
  return close < 0 ? undefined : head.slice(i + 1, close);
}

/** Name of the first tag of `xml`, with its prefix. */
export function tagName(xml: string): string {
  let i = 1;
  while (i < xml.length) {
    const c = xml.charCodeAt(i);
    if (c === 32 || c === GT || c === SLASH || c === 9 || c === 10 || c === 13) break;
    i++;
  }
  return xml.slice(1, i);
}
