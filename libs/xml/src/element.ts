import { escapeAttr, escapeText } from './escape.js';

export type Node = Element | string;
export type Attrs = Record<string, string>;

/**
 * The element model every app shares. Namespaces stay as plain `xmlns` attributes, as on the wire:
 * XMPP streams declare them that way, and keeping them literal lets a stanza be re-serialised
 * byte-for-byte without a namespace resolver.
 */
export class Element {
  readonly name: string;
  readonly attrs: Attrs;
  readonly children: Node[];
  parent: Element | undefined;

  constructor(name: string, attrs: Attrs = {}, children: Node[] = []) {
    this.name = name;
    this.attrs = {};
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) this.attrs[k] = String(v);
    this.children = [];
    for (const child of children) this.append(child);
  }

  /** The element's namespace: its own xmlns, else the nearest ancestor's. */
  get xmlns(): string | undefined {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the walk up the tree starts here
    let el: Element | undefined = this;
    while (el) {
      const ns = el.attrs.xmlns;
      if (ns !== undefined) return ns;
      el = el.parent;
    }
    return undefined;
  }

  attr(name: string): string | undefined {
    return this.attrs[name];
  }

  setAttr(name: string, value: string | undefined): this {
    if (value === undefined) delete this.attrs[name];
    else this.attrs[name] = value;
    return this;
  }

  append(child: Node): this {
    if (typeof child !== 'string') child.parent = this;
    this.children.push(child);
    return this;
  }

  /** Appends and returns the child, for building nested trees. */
  c(name: string, attrs: Attrs = {}): Element {
    const child = new Element(name, attrs);
    this.append(child);
    return child;
  }

  t(text: string): this {
    return this.append(text);
  }

  remove(child: Element): this {
    const i = this.children.indexOf(child);
    if (i >= 0) this.children.splice(i, 1);
    return this;
  }

  elements(): Element[] {
    return this.children.filter((c): c is Element => typeof c !== 'string');
  }

  getChild(name: string, xmlns?: string): Element | undefined {
    return this.elements().find((c) => c.name === name && (xmlns === undefined || c.xmlns === xmlns));
  }

  getChildren(name: string, xmlns?: string): Element[] {
    return this.elements().filter((c) => c.name === name && (xmlns === undefined || c.xmlns === xmlns));
  }

  /** First child element in the namespace, whatever its name (the payload of an IQ, say). */
  getChildByNs(xmlns: string): Element | undefined {
    return this.elements().find((c) => c.xmlns === xmlns);
  }

  text(): string {
    return this.children.filter((c): c is string => typeof c === 'string').join('');
  }

  getChildText(name: string, xmlns?: string): string | undefined {
    return this.getChild(name, xmlns)?.text();
  }

  clone(): Element {
    const copy = new Element(this.name, { ...this.attrs });
    for (const child of this.children) copy.append(typeof child === 'string' ? child : child.clone());
    return copy;
  }

  is(name: string, xmlns?: string): boolean {
    return this.name === name && (xmlns === undefined || this.xmlns === xmlns);
  }

  toString(): string {
    let out = '<' + this.name;
    const attrs = this.attrs;
    for (const k in attrs) out += ' ' + k + '="' + escapeAttr(attrs[k]!) + '"';
    if (this.children.length === 0) return out + '/>';
    out += '>';
    for (const child of this.children) out += typeof child === 'string' ? escapeText(child) : child.toString();
    return out + '</' + this.name + '>';
  }
}

/** `xml('message', { to }, xml('body', {}, 'hi'))`: the literal form tests and features build stanzas with. */
export function xml(name: string, attrs: Attrs | null = {}, ...children: (Node | Node[] | undefined | null | false)[]): Element {
  const el = new Element(name, attrs ?? {});
  for (const child of children.flat()) if (child !== undefined && child !== null && child !== false) el.append(child);
  return el;
}
