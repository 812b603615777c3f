import { XmlParseError } from './errors.js';

/**
 * Namespace prefixes in scope (Namespaces in XML 1.0 §5). Names stay as written, but a prefix must
 * have been declared by xmlns:p on the element or an ancestor (the stream header counts): anything
 * else is not namespace-well-formed.
 */
export class PrefixScope {
  private declared: string[] = [];
  private marks: number[] = [];

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
  }

  private check(name: string): void {
    const colon = name.indexOf(':');
    if (colon < 0) return;
    const prefix = name.slice(0, colon);
    if (prefix === 'xml') return;
    if (prefix === 'xmlns' || this.declared.lastIndexOf(prefix) < 0) {
      throw new XmlParseError('not-well-formed', `undeclared namespace prefix in ${name}`);
    }
  }
}
