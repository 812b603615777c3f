import { XmlParseError } from './errors.js';

/**
 * Namespace prefixes in scope (Namespaces in XML 1.0 §5). Names stay as written, but a prefix must
 * have been declared by xmlns:p on the element or an ancestor (the stream header counts): anything
 * else is not namespace-well-formed.
 */
export class PrefixScope {
  private declared: string[] = [];
  private marks: number[] = [];
  /** Declarations below this index belong to the stream header. */
  private headerEnd = 0;
  /** Prefixes the current top-level element uses from the stream header's declarations. */
  readonly borrowed: string[] = [];

  /** The stream header's own prefix: stream-level elements in it are never forwarded, so never borrow it. */
  private headerPrefix = '';

  /** Call after entering the stream header: its declarations are in scope for the whole stream. */
  sealHeader(headerName: string): void {
    this.headerEnd = this.declared.length;
    const colon = headerName.indexOf(':');
    this.headerPrefix = colon < 0 ? '' : headerName.slice(0, colon);
  }

  /** Opens an element: declares its xmlns:p attributes, then checks its own and its attributes' prefixes. */
  enter(name: string, attrNames: readonly string[], count: number): void {
    this.marks.push(this.declared.length);
    let prefixed = name.indexOf(':') >= 0;
    for (let k = 0; k < count; k++) {
      const attr = attrNames[k]!;
      if (attr.indexOf(':') < 0) continue;
      if (attr.startsWith('xmlns:')) this.declared.push(attr.slice(6));
      else prefixed = true;
    }
    if (!prefixed) return;
    this.check(name);
    for (let k = 0; k < count; k++) {
      const attr = attrNames[k]!;
      if (attr.indexOf(':') >= 0 && !attr.startsWith('xmlns:')) this.check(attr);
    }
  }

  leave(): void {
    const mark = this.marks.pop() ?? 0;
    if (this.declared.length !== mark) this.declared.length = mark;
  }

  reset(): void {
    this.declared = [];
    this.marks = [];
    this.headerEnd = 0;
    this.borrowed.length = 0;
  }

  private check(name: string): void {
    const colon = name.indexOf(':');
    if (colon < 0) return;
    const prefix = name.slice(0, colon);
    if (prefix === 'xml') return;
    const at = prefix === 'xmlns' ? -1 : this.declared.lastIndexOf(prefix);
    if (at < 0) throw new XmlParseError('not-well-formed', `undeclared namespace prefix in ${name}`);
    if (at < this.headerEnd && this.marks.length > 1 && prefix !== this.headerPrefix && !this.borrowed.includes(prefix)) {
      this.borrowed.push(prefix);
    }
  }
}
