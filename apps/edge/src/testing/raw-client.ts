import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { WebSocket } from 'ws';
import { serverEndPointBinding } from '#libs/tls';
import { parseElement, StreamParser, xml, type Element } from '#libs/xml';

type Event = { kind: 'start'; attrs: Record<string, string> } | { kind: 'el'; el: Element } | { kind: 'end' } | { kind: 'closed' };

const LIMITS = { maxStanzaBytes: 1 << 22, maxDepth: 100, maxAttributes: 100, maxAttributeBytes: 1 << 16, maxNameBytes: 1024 };
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const WAIT_MS = 10_000;

export interface ClientOptions {
  port: number;
  host?: string;
  /** tcp: plain c2s (STARTTLS later); tls: XEP-0368; ws/wss: RFC 7395 at `path`. */
  mode: 'tcp' | 'tls' | 'ws' | 'wss';
  path?: string;
  alpn?: string[];
  /** Source address (e.g. 127.0.0.2, to look like a second client address on loopback). */
  localAddress?: string;
}

/**
 * A tiny XMPP client for the edge's tests: raw writes, element-level reads, STARTTLS, SCRAM
 * (with both channel-binding types) and bind. No library between the test and the wire.
 */
export class RawClient {
  private socket: Socket | TLSSocket | undefined;
  private ws: WebSocket | undefined;
  private parser = new StreamParser({ limits: LIMITS });
  private readonly events: Event[] = [];
  private waiter: (() => void) | undefined;
  closed = false;
  streamAttrs: Record<string, string> = {};
  features: Element | undefined;

  private constructor(readonly opts: ClientOptions) {
    this.parser.onStreamStart = (_n, attrs) => this.push({ kind: 'start', attrs });
    this.parser.onElement = (el) => this.push({ kind: 'el', el });
    this.parser.onStreamEnd = () => this.push({ kind: 'end' });
    this.parser.onError = (c, t) => this.push({ kind: 'el', el: xml('client-parse-error', { condition: c }, t) });
  }

  static async connect(opts: ClientOptions): Promise<RawClient> {
    const c = new RawClient(opts);
    const host = opts.host ?? '127.0.0.1';
    if (opts.mode === 'ws' || opts.mode === 'wss') {
      const ws = new WebSocket(`${opts.mode}://${host}:${opts.port}${opts.path ?? '/xmpp-websocket'}`, 'xmpp', { rejectUnauthorized: false });
      c.ws = ws;
      ws.on('message', (data) => {
        try {
          const el = parseElement((data as Buffer).toString('utf8'), LIMITS);
          if (el.name === 'open') c.push({ kind: 'start', attrs: el.attrs });
          else if (el.name === 'close') c.push({ kind: 'end' });
          else c.push({ kind: 'el', el });
        } catch {
          c.push({ kind: 'el', el: xml('client-parse-error') });
        }
      });
      ws.on('error', () => {});
      ws.on('close', () => c.onClosed());
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      return c;
    }
    const socket =
      opts.mode === 'tls'
        ? tlsConnect({
            host,
            port: opts.port,
            socket: opts.localAddress ? netConnect({ host, port: opts.port, localAddress: opts.localAddress }) : undefined,
            rejectUnauthorized: false,
            ALPNProtocols: opts.alpn ?? ['xmpp-client'],
            servername: 'localhost',
          })
        : netConnect({ host, port: opts.port, localAddress: opts.localAddress });
    c.attach(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once(opts.mode === 'tls' ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return c;
  }

  get tls(): TLSSocket | undefined {
    return this.socket && 'encrypted' in this.socket ? this.socket : ((this.ws as unknown as { _socket?: TLSSocket })?._socket ?? undefined);
  }

  send(data: string | Element): void {
    const text = String(data);
    if (this.ws) this.ws.send(text);
    else this.socket!.write(text);
  }

  /** Opens (or restarts) the stream and reads the header and features. */
  async open(domain: string, attrs: Record<string, string> = {}): Promise<Element> {
    if (this.ws) {
      this.send(xml('open', { xmlns: 'urn:ietf:params:xml:ns:xmpp-framing', to: domain, version: '1.0', ...attrs }));
    } else {
      const extra = Object.entries({ to: domain, version: '1.0', ...attrs })
        .map(([k, v]) => ` ${k}='${v}'`)
        .join('');
      this.send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'${extra}>`);
    }
    const start = await this.next();
    if (start.kind !== 'start') throw new Error(`expected a stream header, got ${describe(start)}`);
    this.streamAttrs = start.attrs;
    this.features = await this.element();
    return this.features;
  }

  /** The next event of any kind. */
  async next(timeoutMs = WAIT_MS): Promise<Event> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the server');
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, Math.max(1, deadline - Date.now())).unref();
      });
    }
    return this.events.shift()!;
  }

  async element(timeoutMs = WAIT_MS): Promise<Element> {
    const ev = await this.next(timeoutMs);
    if (ev.kind !== 'el') throw new Error(`expected an element, got ${describe(ev)}`);
    return ev.el;
  }

  /** Reads until the stream error; returns its condition. */
  async streamError(): Promise<string> {
    for (;;) {
      const ev = await this.next();
      if (ev.kind === 'closed' || ev.kind === 'end') throw new Error(`stream ended without an error (${ev.kind})`);
      if (ev.kind === 'el' && ev.el.name === 'stream:error') return ev.el.elements()[0]!.name;
    }
  }

  /** Stops reading from the socket (a slow or hostile client), and starts again. */
  pauseReading(): void {
    (this.socket ?? this.wsSocket())?.pause();
  }
  resumeReading(): void {
    (this.socket ?? this.wsSocket())?.resume();
  }

  /** The WebSocket's own TCP/TLS socket (ws keeps it as `_socket`). */
  private wsSocket(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket } | undefined)?._socket;
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(): Promise<void> {
    for (;;) {
      const ev = await this.next();
      if (ev.kind === 'closed') return;
    }
  }

  async starttls(): Promise<void> {
    this.send(xml('starttls', { xmlns: 'urn:ietf:params:xml:ns:xmpp-tls' }));
    const proceed = await this.element();
    if (proceed.name !== 'proceed') throw new Error(`STARTTLS refused: ${proceed.toString()}`);
    const plain = this.socket!;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tlsConnect({ socket: plain, rejectUnauthorized: false, servername: 'localhost' });
    this.resetParser();
    this.attach(secure);
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
  }

  /** SCRAM-SHA-1/256 (optionally -PLUS with a binding type); resolves with <success/> or <failure/>. */
  async scram(user: string, password: string, mechanism: string, cb?: 'tls-exporter' | 'tls-server-end-point', gs2Flag?: string): Promise<Element> {
    const hash = mechanism.includes('SHA-256') ? 'sha256' : 'sha1';
    const gs2 = gs2Flag ? `${gs2Flag},,` : cb ? `p=${cb},,` : 'n,,';
    const nonce = randomBytes(18).toString('base64');
    const first = `n=${user},r=${nonce}`;
    this.send(xml('auth', { xmlns: NS_SASL, mechanism }, Buffer.from(gs2 + first).toString('base64')));
    const challenge = await this.element();
    if (challenge.name !== 'challenge') return challenge;
    const serverFirst = Buffer.from(challenge.text(), 'base64').toString();
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv.slice(0, 1), kv.slice(2)]));
    const cbData = cb ? this.bindingData(cb) : Buffer.alloc(0);
    const withoutProof = `c=${Buffer.concat([Buffer.from(gs2), cbData]).toString('base64')},r=${attrs.r}`;
    const salted = pbkdf2Sync(password, Buffer.from(attrs.s ?? '', 'base64'), Number(attrs.i), hash === 'sha256' ? 32 : 20, hash);
    const clientKey = createHmac(hash, salted).update('Client Key').digest();
    const storedKey = createHash(hash).update(clientKey).digest();
    const authMessage = `${first},${serverFirst},${withoutProof}`;
    const signature = createHmac(hash, storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    this.send(xml('response', { xmlns: NS_SASL }, Buffer.from(`${withoutProof},p=${proof.toString('base64')}`).toString('base64')));
    const outcome = await this.element();
    if (outcome.name === 'success') {
      const serverKey = createHmac(hash, salted).update('Server Key').digest();
      const expected = createHmac(hash, serverKey).update(authMessage).digest('base64');
      if (Buffer.from(outcome.text(), 'base64').toString() !== `v=${expected}`) throw new Error('server signature mismatch');
      this.resetParser();
    }
    return outcome;
  }

  async plain(user: string, password: string): Promise<Element> {
    this.send(xml('auth', { xmlns: NS_SASL, mechanism: 'PLAIN' }, Buffer.from(`\0${user}\0${password}`).toString('base64')));
    const outcome = await this.element();
    if (outcome.name === 'success') this.resetParser();
    return outcome;
  }

  /** Any mechanism: <auth/> with `initial` (base64, '=' when empty); the server's answer (challenge, success, failure). */
  async auth(mechanism: string, initial: Buffer): Promise<Element> {
    this.send(xml('auth', { xmlns: NS_SASL, mechanism }, initial.length === 0 ? '=' : initial.toString('base64')));
    const outcome = await this.element();
    if (outcome.name === 'success') this.resetParser();
    return outcome;
  }

  /** A <response/> to a challenge; the server's next answer. */
  async respond(data: Buffer): Promise<Element> {
    this.send(xml('response', { xmlns: NS_SASL }, data.length === 0 ? '=' : data.toString('base64')));
    const outcome = await this.element();
    if (outcome.name === 'success') this.resetParser();
    return outcome;
  }

  async bind(resource?: string): Promise<string> {
    const bind = xml('bind', { xmlns: 'urn:ietf:params:xml:ns:xmpp-bind' }, resource ? xml('resource', {}, resource) : undefined);
    this.send(xml('iq', { type: 'set', id: 'bind1' }, bind));
    const result = await this.element();
    const jid = result.getChild('bind')?.getChildText('jid');
    if (result.attrs.type !== 'result' || !jid) throw new Error(`bind failed: ${result.toString()}`);
    return jid;
  }

  /** TLS (as the mode needs), SCRAM-SHA-256, restart, bind: a bound session. */
  async login(domain: string, user: string, password: string, resource?: string): Promise<string> {
    await this.open(domain);
    if (this.opts.mode === 'tcp') {
      await this.starttls();
      await this.open(domain);
    }
    const outcome = await this.scram(user, password, 'SCRAM-SHA-256');
    if (outcome.name !== 'success') throw new Error(`login failed: ${outcome.toString()}`);
    await this.open(domain);
    return this.bind(resource);
  }

  close(): void {
    if (this.ws) this.ws.terminate();
    else this.socket?.destroy();
  }

  bindingData(type: 'tls-exporter' | 'tls-server-end-point'): Buffer {
    const tls = this.tls!;
    if (type === 'tls-exporter') return tls.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    return serverEndPointBinding(tls.getPeerCertificate().raw);
  }

  private resetParser(): void {
    if (this.ws) return;
    this.parser.reset();
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on('data', (d) => this.parser.write(d));
    socket.on('error', () => {});
    socket.on('close', () => this.onClosed());
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.push({ kind: 'closed' });
  }

  private push(ev: Event): void {
    this.events.push(ev);
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }
}

function describe(ev: Event): string {
  return ev.kind === 'el' ? ev.el.toString() : ev.kind;
}
