// One real client connection as the load generator drives it: TCP, STARTTLS (TLS 1.3 by default),
// SCRAM, resource binding, initial presence; then raw stanza strings in and out. Each login phase
// is timed separately. Writes issued in one tick are coalesced into one TLS record.
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SCRAM_MECHANISMS, ScramClient } from './scram.js';
import { attr, Splitter, tagName } from './splitter.js';

export interface ConnectOptions {
  host: string;
  port: number;
  domain: string;
  username: string;
  password: string;
  resource: string;
  /** XEP-0198: enable stream management (with resumption) after bind, and answer the server's <r/>. */
  sm?: boolean;
  /** Minimum TLS version; the benchmark runs TLS 1.3. */
  tlsMinVersion?: 'TLSv1.2' | 'TLSv1.3';
  timeoutMs: number;
  /** Source address (e.g. 127.0.0.2): each address has its own ephemeral ports (the soak's 20,000). */
  localAddress?: string;
}

/** Milliseconds spent in each login phase. */
export interface LoginPhases {
  tcp: number;
  tls: number;
  sasl: number;
  bind: number;
  presence: number;
  total: number;
}

export const PHASES = ['tcp', 'tls', 'sasl', 'bind', 'presence', 'total'] as const;

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_SM = 'urn:xmpp:sm:3';

export class XmppConnection {
  /** Receives every top-level element once logged in. */
  onElement: (xml: string) => void = () => {};
  onClose: () => void = () => {};
  jid = '';
  mechanism = '';
  /** XEP-0198: the id of the resumable session (<enabled id/>), once enabled. */
  smId = '';
  private socket: Socket | TLSSocket;
  private readonly splitter: Splitter;
  private readonly queue: string[] = [];
  private waiter: { resolve: (x: string) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private loggedIn = false;
  /** Stanzas handled from the server since <enabled/> (XEP-0198 inbound count). */
  private handled = 0;
  private pending = '';
  private flushScheduled = false;

  private constructor(
    socket: Socket,
    private readonly opts: ConnectOptions,
  ) {
    this.socket = socket;
    this.splitter = new Splitter({
      onStreamStart: () => {},
      onElement: (xml) => this.deliver(xml),
      onStreamEnd: () => this.fail(new Error('server closed the stream')),
    });
  }

  /** Connects and logs in; rejects (and destroys the socket) on any failure or after the timeout. */
  static async login(opts: ConnectOptions): Promise<{ conn: XmppConnection; phases: LoginPhases }> {
    const t0 = performance.now();
    const socket = netConnect({ host: opts.host, port: opts.port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
    socket.setNoDelay(true);
    const conn = new XmppConnection(socket, opts);
    const timer = setTimeout(() => conn.fail(new Error(`login timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    try {
      const phases = await conn.negotiate(t0);
      return { conn, phases };
    } catch (err) {
      conn.socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * XEP-0198 §5: a new connection (TLS, SASL) resumes session `previd`, reporting `h` stanzas
   * handled; resolves once <resumed/> came (what the server replays then reaches `onElement`), and
   * rejects with the server's answer on <failed/>. The inbound count goes on from `h`.
   */
  static async resume(opts: ConnectOptions, previd: string, h: number, onElement: (xml: string) => void): Promise<XmppConnection> {
    const socket = netConnect({ host: opts.host, port: opts.port });
    socket.setNoDelay(true);
    const conn = new XmppConnection(socket, { ...opts, sm: true });
    const timer = setTimeout(() => conn.fail(new Error(`resume timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    try {
      await conn.event(conn.socket, 'connect');
      conn.listen(conn.socket, false);
      await conn.openStream();
      conn.socket.write(`<starttls xmlns='${NS_TLS}'/>`);
      if (!(await conn.next()).startsWith('<proceed')) throw new Error('STARTTLS refused');
      await conn.startTls();
      await conn.authenticate(await conn.openStream());
      await conn.openStream();
      conn.handled = h;
      conn.socket.write(`<resume xmlns='${NS_SM}' previd='${previd}' h='${h % 2 ** 32}'/>`);
      const answer = await conn.until((x) => tagName(x) === 'resumed' || tagName(x) === 'failed');
      if (tagName(answer) !== 'resumed') throw new Error(`resume refused: ${answer.slice(0, 200)}`);
      conn.smId = previd;
      conn.onElement = onElement;
      conn.loggedIn = true;
      for (const x of conn.queue.splice(0)) conn.onElement(x);
      return conn;
    } catch (err) {
      conn.socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** XEP-0198: stanzas handled from the server since <enabled/> (what a resume reports). */
  get handledCount(): number {
    return this.handled;
  }

  /** RFC 6120 §4.6.1 whitespace keepalive, as an idle client sends to stay under the server's idle timeout. */
  keepalive(): void {
    if (!this.socket.destroyed) this.socket.write(' ');
  }

  /** False once the socket closed or failed. */
  get alive(): boolean {
    return !this.socket.destroyed && !this.failure;
  }

  /** Ends the connection without a closing tag (as a lost network would). */
  destroy(): void {
    this.socket.destroy();
  }

  private async negotiate(t0: number): Promise<LoginPhases> {
    await this.event(this.socket, 'connect');
    const t1 = performance.now();
    this.listen(this.socket, false);
    let features = await this.openStream();
    if (!features.includes(NS_TLS)) throw new Error('server offers no STARTTLS');
    this.socket.write(`<starttls xmlns='${NS_TLS}'/>`);
    const proceed = await this.next();
    if (!proceed.startsWith('<proceed')) throw new Error(`STARTTLS refused: ${proceed.slice(0, 200)}`);
    await this.startTls();
    const t2 = performance.now();
    features = await this.openStream();
    await this.authenticate(features);
    const t3 = performance.now();
    features = await this.openStream();
    await this.bind(features);
    if (this.opts.sm) {
      this.socket.write(`<enable xmlns='${NS_SM}' resume='true'/>`);
      const enabled = await this.until((x) => tagName(x) === 'enabled' || tagName(x) === 'failed');
      if (tagName(enabled) !== 'enabled') throw new Error(`stream management refused: ${enabled.slice(0, 200)}`);
      this.smId = attr(enabled, 'id') ?? '';
    }
    const t4 = performance.now();
    this.socket.write(`<presence/><iq type='get' id='ready' to='${this.opts.domain}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await this.until((x) => tagName(x) === 'iq' && attr(x, 'id') === 'ready');
    const t5 = performance.now();
    this.loggedIn = true;
    for (const x of this.queue.splice(0)) this.onElement(x);
    return { tcp: t1 - t0, tls: t2 - t1, sasl: t3 - t2, bind: t4 - t3, presence: t5 - t4, total: t5 - t0 };
  }

  private async startTls(): Promise<void> {
    const raw = this.socket;
    for (const name of ['data', 'close', 'error']) raw.removeAllListeners(name);
    // The TLS socket reports failures from now on; this keeps a late raw error from being fatal.
    raw.on('error', () => {});
    const secure = tlsConnect({
      socket: raw,
      servername: this.opts.domain,
      rejectUnauthorized: false,
      minVersion: this.opts.tlsMinVersion ?? 'TLSv1.3',
    });
    this.socket = secure;
    await this.event(secure, 'secureConnect');
    this.listen(secure, true);
  }

  private async openStream(): Promise<string> {
    this.splitter.reset();
    this.socket.write(
      `<?xml version='1.0'?><stream:stream to='${this.opts.domain}' version='1.0' xml:lang='en' ` +
        `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
    );
    const features = await this.next();
    if (!features.startsWith('<stream:features')) throw new Error(`expected features, got ${features.slice(0, 200)}`);
    return features;
  }

  private async authenticate(features: string): Promise<void> {
    const offered = [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]);
    const name = Object.keys(SCRAM_MECHANISMS).find((m) => offered.includes(m));
    if (!name) throw new Error(`no SCRAM mechanism offered (${offered.join(' ')})`);
    this.mechanism = name;
    const scram = new ScramClient(SCRAM_MECHANISMS[name]!, this.opts.username, this.opts.password);
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    this.socket.write(`<auth xmlns='${NS_SASL}' mechanism='${name}'>${b64(scram.clientFirst())}</auth>`);
    const challenge = await this.next();
    if (!challenge.startsWith('<challenge')) throw new Error(`SASL failed for ${this.opts.username}: ${challenge.slice(0, 200)}`);
    const final = await scram.clientFinal(Buffer.from(textOf(challenge), 'base64').toString());
    this.socket.write(`<response xmlns='${NS_SASL}'>${b64(final)}</response>`);
    const success = await this.next();
    if (!success.startsWith('<success')) throw new Error(`SASL failed for ${this.opts.username}: ${success.slice(0, 200)}`);
    if (!scram.verifyServerFinal(Buffer.from(textOf(success), 'base64').toString())) {
      throw new Error('server signature does not verify');
    }
  }

  private async bind(features: string): Promise<void> {
    this.socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` + `<resource>${this.opts.resource}</resource></bind></iq>`);
    const result = await this.until((x) => attr(x, 'id') === 'bind');
    const jid = /<jid>([^<]+)<\/jid>/.exec(result);
    if (attr(result, 'type') !== 'result' || !jid) throw new Error(`bind failed: ${result.slice(0, 200)}`);
    this.jid = jid[1]!;
    const session = /<session [^>]*(\/>|>(.*?)<\/session>)/.exec(features);
    if (session && !(session[2] ?? '').includes('optional')) {
      this.socket.write(`<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>`);
      await this.until((x) => attr(x, 'id') === 'sess');
    }
  }

  /** Queues raw XML; everything sent in one tick leaves in one write. */
  send(xml: string): void {
    this.pending += xml;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending && !this.socket.destroyed) this.socket.write(this.pending);
    this.pending = '';
  }

  /** Closes the stream politely, then the socket (forcibly after `graceMs`). */
  close(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      const timer = setTimeout(() => this.socket.destroy(), graceMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.flush();
      this.socket.end('</stream:stream>');
    });
  }

  private listen(socket: Socket | TLSSocket, secure: boolean): void {
    if (secure) socket.setEncoding('utf8');
    socket.on('data', (chunk: string | Buffer) => this.splitter.push(typeof chunk === 'string' ? chunk : chunk.toString()));
    socket.on('error', (err: Error) => this.fail(err));
    socket.on('close', () => {
      this.fail(new Error('connection closed'));
      if (this.loggedIn) this.onClose();
    });
  }

  private deliver(xml: string): void {
    if (this.opts.sm) {
      const name = tagName(xml);
      if (name === 'r') return this.send(`<a xmlns='${NS_SM}' h='${this.handled % 2 ** 32}'/>`);
      if (name === 'a') return;
      if (name === 'enabled')
        this.handled = 0; // the count starts at <enabled/> (XEP-0198 §4)
      else if (name === 'message' || name === 'presence' || name === 'iq') this.handled++;
    }
    if (this.loggedIn) return this.onElement(xml);
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(xml);
    } else {
      this.queue.push(xml);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  private next(): Promise<string> {
    const x = this.queue.shift();
    if (x !== undefined) return Promise.resolve(x);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  private async until(pred: (xml: string) => boolean): Promise<string> {
    for (;;) {
      const x = await this.next();
      if (x.startsWith('<stream:error')) throw new Error(`stream error: ${x.slice(0, 200)}`);
      if (pred(x)) return x;
    }
  }

  private event(emitter: Socket, name: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      emitter.once('error', onError);
      const prev = this.waiter;
      this.waiter = { resolve: () => {}, reject };
      emitter.once(name, () => {
        emitter.off('error', onError);
        this.waiter = prev;
        resolve();
      });
    });
  }
}

function textOf(xml: string): string {
  const start = xml.indexOf('>') + 1;
  const end = xml.lastIndexOf('</');
  return xml.endsWith('/>') || end < start ? '' : xml.slice(start, end).trim();
}
