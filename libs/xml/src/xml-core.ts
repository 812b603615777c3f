import { Element, type Attrs } from './element.js';
import { isNameChar, isNameStartChar, isQName, isSpace, utf8Length } from './chars.js';
import { decodeAttribute, decodeText } from './entities.js';
import { XmlParseError } from './errors.js';
import type { XmlLimits } from './limits.js';
import { PrefixScope } from './prefix-scope.js';
import { cdataEnd, checkXmlDeclaration, declEnd } from './sections.js';

// Tokenizer states. Every state resumes at any code unit, so a chunk may end anywhere.
const TEXT = 0;
const LT = 1; // after '<'
const START_NAME = 2;
const IN_TAG = 3; // between attributes
const ATTR_NAME = 4;
const ATTR_EQ = 5;
const ATTR_QUOTE = 6;
const ATTR_VALUE = 7;
const SELF_CLOSE = 8; // after '/' in a start tag
const CLOSE_NAME = 9;
const CLOSE_TAIL = 10;
const BANG = 11; // after '<!'
const CDATA = 12;
const DECL = 13; // after '<?' at the very start: the XML declaration
const DONE = 14;

const CDATA_OPEN = '[CDATA[';

export interface CoreHandlers {
  start(name: string, attrs: Attrs): void;
  element(el: Element, size: number): void;
  end(): void;
}

function fail(condition: 'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'invalid-xml', text: string): never {
  throw new XmlParseError(condition, text);
}

/**
 * The restricted XML tokenizer and tree builder behind StreamParser and parseElement. In stream
 * mode the first element is the stream header: its children are the top-level elements handed out
 * whole. In fragment mode (RFC 7395 frames) the first element is itself the one top-level element.
 * Errors are thrown as XmlParseError; the callers turn them into one onError.
 */
export class XmlCore {
  limits: XmlLimits;
  private readonly fragment: boolean;
  private readonly on: CoreHandlers;

  private state = TEXT;
  private atStart = true; // nothing but whitespace seen: an XML declaration is still allowed
  private rootName: string | undefined;
  private rootAttrs: Attrs = {};
  private stack: Element[] = [];
  private text = ''; // raw character data of the open element, decoded when markup follows
  private name = ''; // the name being scanned
  private el: Element | undefined; // the element whose start tag is being read
  private isRoot = false;
  private attrCount = 0;
  private attrNames: string[] = [];
  private readonly prefixes = new PrefixScope();
  private sawSpace = false;
  private attrName = '';
  private quote = 0;
  private value = '';
  private bang = '';
  private cdata = '';
  private decl = '';
  private countFrom = -1; // index in the current chunk where the top-level element's bytes start
  private counted = 0; // bytes of the top-level element in earlier chunks
  private counting = false;
  /** Bumped by reset(): a handler may restart the stream in the middle of a chunk. */
  generation = 0;

  constructor(limits: XmlLimits, fragment: boolean, on: CoreHandlers) {
    this.limits = limits;
    this.fragment = fragment;
    this.on = on;
    if (fragment) this.atStart = false;
  }

  reset(): void {
    this.state = TEXT;
    this.atStart = !this.fragment;
    this.rootName = undefined;
    this.stack = [];
    this.prefixes.reset();
    this.text = '';
    this.el = undefined;
    this.counting = false;
    this.countFrom = -1;
    this.counted = 0;
    this.generation++;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /** True while a top-level element (or the stream header) is partly read. */
  get pending(): boolean {
    return this.counting || this.stack.length > 0 || (this.state !== TEXT && this.state !== DONE);
  }

  feed(s: string): void {
    const n = s.length;
    let i = 0;
    if (this.counting) this.countFrom = 0;
    while (i < n) {
      switch (this.state) {
        case TEXT: {
          const lt = s.indexOf('<', i);
          const end = lt < 0 ? n : lt;
          if (end > i) this.addText(s, i, end);
          if (lt < 0) {
            i = n;
            break;
          }
          if (this.stack.length === 0) {
            this.counting = true;
            this.countFrom = lt;
          } else if (this.text !== '') this.flushText();
          this.state = LT;
          i = lt + 1;
          break;
        }
        case LT:
          i = this.afterLt(s, i);
          break;
        case START_NAME:
        case ATTR_NAME:
        case CLOSE_NAME: {
          let j = i;
          while (j < n && isNameChar(s.charCodeAt(j))) j++;
          this.name += s.slice(i, j);
          if (this.name.length > this.limits.maxNameBytes) fail('policy-violation', 'name too long');
          i = j;
          if (j < n) this.nameDone();
          break;
        }
        case IN_TAG:
          i = this.inTag(s, i);
          break;
        case ATTR_EQ: {
          const c = s.charCodeAt(i);
          if (c === 61 /* = */) this.state = ATTR_QUOTE;
          else if (!isSpace(c)) fail('not-well-formed', `'=' expected after attribute ${this.attrName}`);
          i++;
          break;
        }
        case ATTR_QUOTE: {
          const c = s.charCodeAt(i);
          if (c === 34 || c === 39) {
            this.quote = c;
            this.value = '';
            this.state = ATTR_VALUE;
          } else if (!isSpace(c)) fail('not-well-formed', `unquoted value of attribute ${this.attrName}`);
          i++;
          break;
        }
        case ATTR_VALUE:
          i = this.attrValue(s, i);
          break;
        case SELF_CLOSE:
          if (s.charCodeAt(i) !== 62 /* > */) fail('not-well-formed', "'>' expected after '/'");
          i++;
          this.endStartTag(true, s, i);
          break;
        case CLOSE_TAIL: {
          const c = s.charCodeAt(i);
          i++;
          if (c === 62) this.endTag(s, i);
          else if (!isSpace(c)) fail('not-well-formed', `'>' expected in end tag </${this.name}>`);
          break;
        }
        case BANG:
          i = this.afterBang(s, i);
          break;
        case CDATA:
          i = this.inCdata(s, i);
          break;
        case DECL:
          i = this.inDecl(s, i);
          break;
        case DONE:
          if (!this.fragment) return; // after </stream:stream> nothing more is read
          for (; i < n; i++) if (!isSpace(s.charCodeAt(i))) fail('not-well-formed', 'content after the element');
          break;
      }
    }
    if (this.counting && this.countFrom >= 0) {
      this.counted += utf8Length(s, this.countFrom, n);
      this.countFrom = 0;
      this.checkSize(0);
    }
  }

  private addText(s: string, from: number, to: number): void {
    if (this.stack.length > 0) {
      this.text += s.slice(from, to);
      return;
    }
    for (let k = from; k < to; k++) {
      if (!isSpace(s.charCodeAt(k))) {
        fail('not-well-formed', this.rootName === undefined && !this.fragment ? 'text before the stream header' : 'text outside any element');
      }
    }
  }

  private flushText(): void {
    this.stack[this.stack.length - 1]!.children.push(decodeText(this.text));
    this.text = '';
  }

  private afterLt(s: string, i: number): number {
    const c = s.charCodeAt(i);
    if (c === 47 /* / */) {
      this.state = CLOSE_NAME;
      this.name = '';
      this.atStart = false;
      return i + 1;
    }
    if (c === 33 /* ! */) {
      this.state = BANG;
      this.bang = '';
      return i + 1;
    }
    if (c === 63 /* ? */) {
      if (!this.atStart) fail('restricted-xml', 'processing instructions are not allowed');
      this.state = DECL;
      this.decl = '';
      this.atStart = false;
      return i + 1;
    }
    if (!isNameStartChar(c)) fail('not-well-formed', "'<' not followed by a name");
    this.atStart = false;
    this.state = START_NAME;
    this.name = '';
    return i;
  }

  private nameDone(): void {
    const name = this.name;
    if (!isQName(name)) fail('not-well-formed', `invalid name ${name}`);
    if (name.length * 3 > this.limits.maxNameBytes && utf8Length(name, 0, name.length) > this.limits.maxNameBytes) {
      fail('policy-violation', 'name too long');
    }
    if (this.state === START_NAME) this.startTag(name);
    else if (this.state === ATTR_NAME) {
      this.attrName = name;
      this.state = ATTR_EQ;
    } else this.state = CLOSE_TAIL;
  }

  private startTag(name: string): void {
    this.isRoot = !this.fragment && this.rootName === undefined;
    if (!this.isRoot && this.stack.length >= this.limits.maxDepth) fail('policy-violation', 'elements nested too deep');
    this.el = new Element(name);
    this.attrCount = 0;
    this.sawSpace = false;
    this.state = IN_TAG;
  }

  private inTag(s: string, i: number): number {
    const n = s.length;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (isSpace(c)) {
        this.sawSpace = true;
        i++;
      } else if (c === 62 /* > */) {
        this.endStartTag(false, s, i + 1);
        return i + 1;
      } else if (c === 47 /* / */) {
        this.state = SELF_CLOSE;
        return i + 1;
      } else if (this.sawSpace && isNameStartChar(c)) {
        this.state = ATTR_NAME;
        this.name = '';
        return i;
      } else fail('not-well-formed', `unexpected character in the tag of ${this.el!.name}`);
    }
    return i;
  }

  private attrValue(s: string, i: number): number {
    const close = s.indexOf(this.quote === 34 ? '"' : "'", i);
    const end = close < 0 ? s.length : close;
    const part = s.slice(i, end);
    if (part.indexOf('<') >= 0) fail('not-well-formed', `'<' in the value of attribute ${this.attrName}`);
    this.value = this.value === '' ? part : this.value + part;
    const max = this.limits.maxAttributeBytes;
    if (this.value.length > max) fail('policy-violation', `value of attribute ${this.attrName} too long`);
    if (close < 0) return s.length;
    const raw = this.value;
    if (raw.length * 3 > max && utf8Length(raw, 0, raw.length) > max) fail('policy-violation', `value of attribute ${this.attrName} too long`);
    this.setAttr(this.attrName, decodeAttribute(raw));
    this.value = '';
    this.state = IN_TAG;
    this.sawSpace = false;
    return close + 1;
  }

  private setAttr(name: string, value: string): void {
    const attrs = this.el!.attrs;
    // A scan of the few names seen is cheaper than a dictionary lookup through the prototype chain.
    const names = this.attrNames;
    for (let k = 0; k < this.attrCount; k++) if (names[k] === name) fail('not-well-formed', `duplicate attribute ${name}`);
    if (this.attrCount >= this.limits.maxAttributes) fail('policy-violation', 'too many attributes');
    names[this.attrCount++] = name;
    // Defined, not assigned: an attribute named __proto__ must stay an attribute.
    if (name === '__proto__') Object.defineProperty(attrs, name, { value, enumerable: true, writable: true, configurable: true });
    else attrs[name] = value;
  }

  private endStartTag(selfClosing: boolean, s: string, next: number): void {
    const el = this.el!;
    this.el = undefined;
    this.state = TEXT;
    this.prefixes.enter(el.name, this.attrNames, this.attrCount);
    if (this.isRoot) {
      this.isRoot = false;
      this.rootName = el.name;
      this.rootAttrs = el.attrs;
      this.prefixes.sealHeader(el.name);
      this.stopCounting();
      const gen = this.generation;
      this.on.start(el.name, el.attrs);
      if (selfClosing && gen === this.generation) this.streamEnd();
      return;
    }
    const parent = this.stack[this.stack.length - 1];
    // A second stream header inside the open stream (RFC 6120 §4.3.3 allows one only at a restart,
    // after a reset): refused at once rather than taken for a top-level element that never ends.
    if (!parent && !this.fragment && el.name === this.rootName) fail('invalid-xml', `a second <${el.name}> inside the open stream`);
    if (parent) parent.append(el);
    if (selfClosing) {
      this.prefixes.leave();
      this.closed(el, s, next);
    } else this.stack.push(el);
  }

  private endTag(s: string, next: number): void {
    const name = this.name;
    this.state = TEXT;
    const el = this.stack.pop();
    if (el === undefined) {
      if (name === this.rootName) {
        this.stopCounting();
        this.streamEnd();
        return;
      }
      fail('not-well-formed', `end tag </${name}> without a start tag`);
    }
    if (el.name !== name) fail('not-well-formed', `end tag </${name}> does not match <${el.name}>`);
    this.prefixes.leave();
    this.closed(el, s, next);
  }

  /** An element is complete; a top-level one goes out with its source size. */
  private closed(el: Element, s: string, next: number): void {
    if (this.stack.length > 0) return;
    const size = this.counted + utf8Length(s, this.countFrom, next);
    this.checkSize(size);
    this.stopCounting();
    if (this.fragment) this.state = DONE;
    const borrowed = this.prefixes.borrowed;
    if (borrowed.length > 0) {
      // Make the element self-contained, so it re-parses alone (off the bus, say).
      for (const prefix of borrowed) {
        const decl = 'xmlns:' + prefix;
        if (!Object.hasOwn(el.attrs, decl)) el.attrs[decl] = this.rootAttrs[decl]!;
      }
      borrowed.length = 0;
    }
    this.on.element(el, size);
  }

  private streamEnd(): void {
    this.state = DONE;
    this.on.end();
  }

  private stopCounting(): void {
    this.counting = false;
    this.countFrom = -1;
    this.counted = 0;
  }

  private checkSize(size: number): void {
    if (Math.max(size, this.counted) > this.limits.maxStanzaBytes) {
      fail('policy-violation', `element larger than ${this.limits.maxStanzaBytes} bytes`);
    }
  }

  private afterBang(s: string, i: number): number {
    const c = s.charCodeAt(i);
    const k = this.bang.length;
    if (k === 0 && c !== 91 /* [ */) fail('restricted-xml', c === 45 ? 'comments are not allowed' : 'DTDs and declarations are not allowed');
    if (c !== CDATA_OPEN.charCodeAt(k)) fail('not-well-formed', "invalid '<![' section");
    this.bang += s[i];
    if (this.bang.length === CDATA_OPEN.length) {
      if (this.stack.length === 0) fail('not-well-formed', 'CDATA section outside any element');
      this.state = CDATA;
      this.cdata = '';
    }
    return i + 1;
  }

  private inCdata(s: string, i: number): number {
    const end = cdataEnd(this.cdata, s, i);
    if (end === undefined) {
      this.cdata += s.slice(i);
      return s.length;
    }
    this.cdata = '';
    const body = end.body;
    if (body !== '') this.stack[this.stack.length - 1]!.children.push(body.indexOf('\r') >= 0 ? body.replace(/\r\n?/g, '\n') : body);
    this.state = TEXT;
    return end.next;
  }

  private inDecl(s: string, i: number): number {
    const end = declEnd(this.decl, s, i);
    if (end === undefined) {
      this.decl += s.slice(i);
      checkXmlDeclaration(this.decl, false);
      return s.length;
    }
    checkXmlDeclaration(end.body, true);
    this.decl = '';
    this.stopCounting();
    this.state = TEXT;
    return end.next;
  }
}
