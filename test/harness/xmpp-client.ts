import { X509Certificate } from 'node:crypto';
import { setDefaultCACertificates, getCACertificates } from 'node:tls';
import { client as xmppClient, xml, type Client, type XmlElement } from '@xmpp/client';

export { xml };
export type XmppElement = XmlElement;

export interface TestClient {
  /**
   * The full JID the server bound, as xmpp.js reports it after `online`. Address this client by it,
   * never by `<user>@<domain>/<resource>`: xmpp.js logs in with SASL2 when offered (on by default),
   * and Bind2 makes the resource `<resource>/<id>` (XEP-0386 §5, the client's tag as a prefix).
   */
  jid: string;
  xmpp: Client;
  stanzas: XmppElement[];
  /** Resolves with the first stanza (seen already or arriving) that matches. */
  waitFor(what: string, match: (s: XmppElement) => boolean, timeoutMs?: number): Promise<XmppElement>;
  send(stanza: XmppElement): Promise<void>;
  iq(stanza: XmppElement): Promise<XmppElement>;
  stop(): Promise<void>;
}

const baseCAs = getCACertificates('default');
/** The certificates a test trusted, by subject: a later deployment's self-signed one replaces an earlier one's. */
const trusted = new Map<string, string>();

/**
 * Trust the server's certificate the way a user would import it, for this test process. Two trusted
 * self-signed certificates with one subject (a standalone, then a cluster, both `localhost`) would
 * make OpenSSL check the second against the first (issuer looked up by name) and refuse it as
 * DEPTH_ZERO_SELF_SIGNED_CERT, so the newest certificate of a subject is the one trusted.
 */
export function trustCertificate(pem: string): void {
  trusted.set(new X509Certificate(pem).subject, pem);
  setDefaultCACertificates([...baseCAs, ...trusted.values()]);
}

/**
 * How long xmpp.js waits for each step of opening (stream header, STARTTLS, features). Its default,
 * 2 s, is shorter than a TLS handshake takes on a loaded CI machine; a test that waits longer only
 * loses time when something is wrong.
 */
export const CLIENT_STEP_TIMEOUT_MS = 30_000;

/** A real xmpp.js (@xmpp/client) connection: service is xmpp://, xmpps:// or wss://. */
export async function connect(
  service: string,
  username: string,
  password: string,
  resource: string,
  domain = 'localhost',
  opts: { sm?: boolean } = {},
): Promise<TestClient> {
  const xmpp = xmppClient({ service, domain, username, password, resource, timeout: CLIENT_STEP_TIMEOUT_MS });
  listenBeforeOpening(xmpp);
  if (opts.sm === false) withoutStreamManagement(xmpp);
  const stanzas: XmppElement[] = [];
  const waiters = new Set<{ match: (s: XmppElement) => boolean; resolve: (s: XmppElement) => void }>();
  xmpp.on('error', () => {});
  xmpp.on('stanza', (s: XmppElement) => {
    stanzas.push(s);
    for (const w of waiters) {
      if (w.match(s)) {
        waiters.delete(w);
        w.resolve(s);
      }
    }
  });
  // A login that fails (TLS, SASL) must not leave the client reconnecting behind the test's back.
  const address = await xmpp.start().catch(async (err: unknown) => {
    stopReconnecting(xmpp);
    await xmpp.stop().catch(() => {});
    throw err;
  });
  return {
    jid: address.toString(),
    xmpp,
    stanzas,
    waitFor(what, match, timeoutMs = 15_000) {
      const seen = stanzas.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (s: XmppElement) => (clearTimeout(timer), resolve(s)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`${username}/${resource} waited ${timeoutMs} ms for ${what}; got:\n${stanzas.map(String).join('\n')}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    send: (s) => xmpp.send(s),
    iq: (s) => xmpp.iqCaller.request(s, 15_000),
    async stop() {
      stopReconnecting(xmpp);
      await xmpp.stop().catch(() => {});
    },
  };
}

/** What Connection.open() of xmpp.js 0.14 (@xmpp/connection) uses of the connection. */
interface Opening {
  timeout: number;
  root: XmppElement;
  Parser: new () => unknown;
  open(options: { domain: string; lang?: string }): Promise<XmppElement>;
  _status(status: string): void;
  _attachParser(parser: unknown): void;
  headerElement(): XmppElement;
  header(el: XmppElement): string;
  write(s: string): Promise<void>;
  once(event: string, listener: (v: unknown) => void): void;
  off(event: string, listener: (v: unknown) => void): void;
}

/**
 * xmpp.js 0.14's Connection.open() writes its stream header, waits for the write's callback, and
 * only then listens for the server's header ('open'). On a busy machine the server's header can be
 * parsed first, and open() then waits for an 'open' that has passed: the client authenticates and
 * binds, and start() still fails with a TimeoutError (seen on direct TLS under load average 20:
 * the server logged the session bound, the test failed 30 s later). The same open(), listening
 * before it writes; it also runs for every stream restart (STARTTLS, SASL).
 */
export function listenBeforeOpening(xmpp: Client): void {
  const c = xmpp as unknown as Opening;
  c.open = async function (this: Opening, { domain, lang }) {
    this._status('opening');
    const header = this.headerElement();
    header.attrs.to = domain;
    (header.attrs as Record<string, string | undefined>)['xml:lang'] = lang;
    this.root = header;
    this._attachParser(new this.Parser());
    const opened = new Promise<XmppElement>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('open', onOpen);
        this.off('error', onError);
      };
      const onOpen = (el: unknown): void => (done(), resolve(el as XmppElement));
      const onError = (err: unknown): void => (done(), reject(err instanceof Error ? err : new Error(String(err))));
      const timer = setTimeout(() => (done(), reject(new Error(`no stream header from the server in ${this.timeout} ms`))), this.timeout);
      this.once('open', onOpen);
      this.once('error', onError);
    });
    opened.catch(() => {}); // awaited below; a failed write must not leave it unhandled meanwhile
    await this.write(this.header(header));
    return opened;
  };
}

/**
 * A client being stopped must not come back: xmpp.js's reconnect module re-opens a stream that ended
 * (a stream error, a refused SASL2 login) one second later, and one in flight when stop() runs keeps
 * retrying, and keeps the test process alive, forever.
 */
export function stopReconnecting(xmpp: Client): void {
  (xmpp as unknown as { reconnect?: { stop(): void } }).reconnect?.stop();
}

export const isMessageWithBody = (body: string) => (s: XmppElement) => s.is('message') && s.getChildText('body') === body;
export const isPresence = (from: string, type?: string) => (s: XmppElement) =>
  s.is('presence') && (s.attrs.from === from || (s.attrs.from?.startsWith(from + '/') ?? false)) && s.attrs.type === type;

/**
 * A client that does not use XEP-0198 although the server offers it (xmpp.js enables it whenever
 * offered and has no option against it): <sm/> is taken out of the stream features, and out of
 * SASL2's and Bind2's inline lists (XEP-0388 §2.3, XEP-0386: xmpp.js enables SM inline there too),
 * before its middleware reads them. For tests of what happens to sessions without stream management.
 */
function withoutStreamManagement(xmpp: Client): void {
  const entity = xmpp as unknown as { emit: (event: string | symbol, ...args: unknown[]) => boolean };
  const emit = entity.emit.bind(entity);
  entity.emit = (event, ...args) => {
    const el = args[0] as XmppElement | undefined;
    if (event === 'element' && el?.name === 'stream:features') {
      const strip = (parent: XmppElement): void => {
        parent.children = parent.children.filter(
          (c) =>
            typeof c === 'string' || !((c.name === 'sm' && c.attrs.xmlns === 'urn:xmpp:sm:3') || (c.name === 'feature' && c.attrs.var === 'urn:xmpp:sm:3')),
        );
        for (const c of parent.children) if (typeof c !== 'string') strip(c);
      };
      strip(el);
    }
    return emit(event, ...args);
  };
}

/**
 * The client is bound to a full JID of `bare` for the resource it asked for: exactly it (RFC 6120
 * bind), or, after SASL2 with Bind2, `<resource>/<id>` with a server-generated id (XEP-0386
 * §identifiers: the client's tag as-is, then '/', then the server's part).
 */
export function assertBound(client: TestClient, bare: string, resource: string): void {
  const prefix = `${bare}/${resource}`;
  const ok = client.jid === prefix || (client.jid.startsWith(`${prefix}/`) && client.jid.length > prefix.length + 1);
  if (!ok) throw new Error(`expected a full JID ${prefix} or ${prefix}/<id>, bound: ${client.jid}`);
}
