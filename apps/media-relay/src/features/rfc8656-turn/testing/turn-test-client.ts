import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { nextFrame } from '../channel-data.codec.js';
import { checkIntegrity, longTermKey, seal } from '../integrity.js';
import { decodeErrorCode, decodeXorAddress, encodeXorAddress, type TransportAddress } from '../stun-attributes.js';
import { Attr, Class, decodeStun, encodeStun, getAttr, Method, type OutAttribute, type StunMessage } from '../stun-message.codec.js';

/**
 * A minimal TURN client over UDP or TCP for the relay's own specs (the independent clients are
 * coturn's turnutils_*, in turn-server.spec.ts). Every wait is bounded by `timeoutMs`.
 */
export interface Credentials {
  username: string;
  password: string;
}

/** Attributes, or a function of the transaction id (XOR-PEER-ADDRESS depends on it). */
export type Attrs = OutAttribute[] | ((tid: Buffer) => OutAttribute[]);

export class TurnTestClient {
  private readonly waiting = new Map<string, (m: StunMessage) => void>();
  private readonly inbox: Buffer[] = [];
  private inboxWaiter: (() => void) | undefined;
  realm = '';
  nonce = '';
  key: Buffer | undefined;

  private constructor(
    private readonly sendRaw: (b: Buffer) => void,
    private readonly closeFn: () => void,
    private readonly timeoutMs: number,
    /** UDP requests are retransmitted (RFC 8489 §6.2.1: RTO doubling); streams are reliable. */
    private readonly retransmitMs?: number,
  ) {}

  static async udp(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<TurnTestClient> {
    const s: UdpSocket = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const c = new TurnTestClient(
      (b) => s.send(b, port, host),
      () => s.close(),
      timeoutMs,
      100,
    );
    s.on('message', (b) => c.receive(b));
    return c;
  }

  static async tcp(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<TurnTestClient & { socket: Socket }> {
    const s = connect(port, host);
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    const c = new TurnTestClient(
      (b) => s.write(b),
      () => s.destroy(),
      timeoutMs,
    ) as TurnTestClient & { socket: Socket };
    c.socket = s;
    let buf: Buffer = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let f = nextFrame(buf); f.kind === 'frame' && buf.length >= f.length; f = nextFrame(buf)) {
        c.receive(buf.subarray(0, f.length));
        buf = buf.subarray(f.length);
      }
    });
    s.on('error', () => {});
    return c;
  }

  private receive(b: Buffer): void {
    const m = decodeStun(b);
    if (m && (m.cls === Class.Success || m.cls === Class.Error)) {
      // A response goes to its transaction. One for no transaction waiting is the server's second
      // answer to a retransmitted request (UDP, RTO passed on a busy machine) and is discarded
      // (RFC 8489 §6.3); queued, it came out of nextData() in place of the data awaited.
      this.waiting.get(m.transactionId.toString('hex'))?.(m);
      return;
    }
    this.inbox.push(b);
    this.inboxWaiter?.();
  }

  send(b: Buffer): void {
    this.sendRaw(b);
  }

  /** One request, one response (no retransmission: the relay answers at once on loopback). */
  async request(
    method: number,
    attrs: Attrs,
    opts: { sign?: boolean; sha256?: boolean; fingerprint?: boolean; creds?: Credentials } = {},
  ): Promise<StunMessage> {
    const tid = randomBytes(12);
    const all = typeof attrs === 'function' ? attrs(tid) : [...attrs];
    if (opts.sign && opts.creds) {
      all.push({ type: Attr.Username, value: opts.creds.username }, { type: Attr.Realm, value: this.realm }, { type: Attr.Nonce, value: this.nonce });
    }
    this.lastRequest = seal(encodeStun(method, Class.Request, tid, all), {
      key: opts.sign ? this.key : undefined,
      sha256: opts.sha256,
      fingerprint: opts.fingerprint,
    });
    return this.exchange(this.lastRequest);
  }

  /** The last request's bytes again, as a client retransmits (RFC 8489 §6.2.1). */
  retransmit(): Promise<StunMessage> {
    return this.exchange(this.lastRequest!);
  }

  private lastRequest: Buffer | undefined;

  private exchange(bytes: Buffer): Promise<StunMessage> {
    const key = bytes.subarray(8, 20).toString('hex');
    let resend: NodeJS.Timeout | undefined;
    const reply = new Promise<StunMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        clearTimeout(resend);
        this.waiting.delete(key);
        reject(new Error(`no response within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(key, (m) => {
        clearTimeout(timer);
        clearTimeout(resend);
        this.waiting.delete(key);
        resolve(m);
      });
    });
    this.sendRaw(bytes);
    const again = (rto: number): void => {
      resend = setTimeout(() => {
        this.sendRaw(bytes);
        again(rto * 2);
      }, rto);
    };
    if (this.retransmitMs) again(this.retransmitMs);
    return reply;
  }

  /** Sends unsigned, takes REALM and NONCE from the 401, then sends signed: RFC 8489 §9.2.3. */
  async authed(method: number, attrs: Attrs, creds: Credentials, opts: { sha256?: boolean } = {}): Promise<StunMessage> {
    if (!this.nonce) {
      const challenge = await this.request(method, attrs);
      if (errorOf(challenge)?.code !== 401) return challenge;
      this.realm = getAttr(challenge, Attr.Realm)!.toString();
      this.nonce = getAttr(challenge, Attr.Nonce)!.toString();
    }
    this.key = longTermKey(creds.username, this.realm, creds.password);
    const res = await this.request(method, attrs, { sign: true, creds, ...opts });
    if (errorOf(res)?.code === 438) {
      this.nonce = getAttr(res, Attr.Nonce)!.toString();
      return this.request(method, attrs, { sign: true, creds, ...opts });
    }
    return res;
  }

  responseIsAuthentic(m: StunMessage): boolean {
    return this.key !== undefined && checkIntegrity(m, this.key).result === 'valid';
  }

  /** The next non-response message (Data indication or ChannelData), within the timeout. */
  async nextData(): Promise<Buffer> {
    const deadline = Date.now() + this.timeoutMs;
    while (!this.inbox.length) {
      if (Date.now() >= deadline) throw new Error(`no data within ${this.timeoutMs} ms`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.inboxWaiter = () => {
          clearTimeout(t);
          r();
        };
      });
    }
    return this.inbox.shift()!;
  }

  sendIndication(peer: TransportAddress, data: Buffer): void {
    const tid = randomBytes(12);
    this.sendRaw(
      encodeStun(Method.Send, Class.Indication, tid, [
        { type: Attr.XorPeerAddress, value: encodeXorAddress(peer, tid) },
        { type: Attr.Data, value: data },
      ]),
    );
  }

  close(): void {
    this.closeFn();
  }
}

export function errorOf(m: StunMessage): { code: number; reason: string } | undefined {
  return m.cls === Class.Error ? decodeErrorCode(getAttr(m, Attr.ErrorCode)) : undefined;
}

export function relayedOf(m: StunMessage): TransportAddress | undefined {
  return decodeXorAddress(getAttr(m, Attr.XorRelayedAddress), m.transactionId);
}
