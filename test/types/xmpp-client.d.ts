// @xmpp/client ships no types; this is the part the end-to-end tests use.
declare module '@xmpp/client' {
  export interface XmlElement {
    name: string;
    attrs: Record<string, string>;
    children: (XmlElement | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }
  export interface Client {
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: XmlElement): Promise<void>;
    on(event: string, fn: (...args: any[]) => void): void;
    iqCaller: { request(el: XmlElement, timeout?: number): Promise<XmlElement> };
    /** @xmpp/iq callee: answers IQ gets/sets by payload (ns, name). */
    iqCallee: { get(ns: string, name: string, handler: (ctx: { element: XmlElement; stanza: XmlElement }) => XmlElement | Promise<XmlElement>): void };
    jid?: { toString(): string };
    /** @xmpp/reconnect: logs in again after a disconnect unless stopped. */
    reconnect: { stop(): void };
  }
  export function client(options: Record<string, unknown>): Client;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (XmlElement | string)[]): XmlElement;
}
