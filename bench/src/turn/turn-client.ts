import { createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import {
  ATTR,
  classOf,
  decode,
  encodeRequest,
  errorCode,
  longTermKey,
  METHOD,
  readXorAddress,
  u32,
  xorAddress,
  type Credentials,
  type StunMessage,
} from './stun-wire.js';

export interface TurnServer {
  host: string;
  port: number;
  /** TURN REST API shared secret (both relays are configured with it). */
  secret: string;
}

/**
 * One UDP allocation on a TURN server (RFC 8656 §7), with a permission and a channel to one peer
 * (§9, §12): what a WebRTC endpoint does before relaying. Data then goes as ChannelData
 * (§12.4), the form browsers use once a channel is bound.
 */
export class TurnAllocation {
  relayed = { ip: '', port: 0 };
  private cred?: Credentials;
  private pending = new Map<string, (m: StunMessage) => void>();
  onData: (data: Buffer) => void = () => {};

  private constructor(
    readonly socket: Socket,
    private readonly server: TurnServer,
  ) {
    socket.on('message', (msg) => {
      if (msg.length >= 4 && (msg[0]! & 0xc0) === 0x40) {
        const len = msg.readUInt16BE(2);
        this.onData(msg.subarray(4, 4 + len));
        return;
      }
      const m = decode(msg);
      const key = m?.txid.toString('hex');
      if (m && key && this.pending.has(key)) {
        this.pending.get(key)!(m);
        this.pending.delete(key);
      }
    });
  }

  static async open(server: TurnServer, user: string, timeoutMs = 5000): Promise<TurnAllocation> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(4 << 20);
    socket.setSendBufferSize(4 << 20);
    const a = new TurnAllocation(socket, server);
    try {
      await a.authenticate(user, timeoutMs);
    } catch (err) {
      socket.close();
      throw err;
    }
    return a;
  }

  private async authenticate(user: string, timeoutMs: number): Promise<void> {
    const username = `${Math.floor(Date.now() / 1000) + 3600}:${user}`;
    const password = createHmac('sha1', this.server.secret).update(username).digest('base64');
    const transport = [ATTR.requestedTransport, u32(17 << 24)] as [number, Buffer];
    const first = await this.request(METHOD.allocate, [transport], timeoutMs);
    if (classOf(first.type) !== 3 || errorCode(first) !== 401)
      throw new Error(`Allocate without credentials: expected 401, got ${errorCode(first) ?? 'success'}`);
    const realm = first.attrs.get(ATTR.realm)!.toString();
    this.cred = { username, realm, nonce: Buffer.from(first.attrs.get(ATTR.nonce)!), key: longTermKey(username, realm, password) };
    const ok = await this.request(METHOD.allocate, [transport], timeoutMs);
    if (classOf(ok.type) !== 2) throw new Error(`Allocate refused: ${errorCode(ok)}`);
    this.relayed = readXorAddress(ok.attrs.get(ATTR.xorRelayedAddress)!);
  }

  async bindChannel(channel: number, peer: { ip: string; port: number }, timeoutMs = 5000): Promise<void> {
    const r = await this.request(
      METHOD.channelBind,
      [
        [ATTR.channelNumber, u32(channel << 16)],
        [ATTR.xorPeerAddress, xorAddress(peer.ip, peer.port)],
      ],
      timeoutMs,
    );
    if (classOf(r.type) !== 2) throw new Error(`ChannelBind refused: ${errorCode(r)}`);
  }

  /** ChannelData to the bound peer; `frame` must have 4 spare bytes in front (no copy). */
  sendChannelData(channel: number, frame: Buffer): void {
    frame.writeUInt16BE(channel, 0);
    frame.writeUInt16BE(frame.length - 4, 2);
    this.socket.send(frame, this.server.port, this.server.host);
  }

  async close(): Promise<void> {
    // Refresh with LIFETIME 0 deletes the allocation (RFC 8656 §8); best effort.
    await this.request(METHOD.refresh, [[ATTR.lifetime, u32(0)]], 1000).catch(() => undefined);
    this.socket.close();
  }

  private request(method: number, attrs: Array<[number, Buffer]>, timeoutMs: number, retried = false): Promise<StunMessage> {
    const { txid, bytes } = encodeRequest(method, attrs, this.cred);
    return new Promise<StunMessage>((resolve, reject) => {
      const timer = setTimeout(
        () => (this.pending.delete(txid.toString('hex')), reject(new Error(`TURN request 0x${method.toString(16)} timed out`))),
        timeoutMs,
      );
      this.pending.set(txid.toString('hex'), (m) => (clearTimeout(timer), resolve(m)));
      this.socket.send(bytes, this.server.port, this.server.host);
    }).then((m) => {
      // 438 Stale Nonce: take the new nonce and retry once (RFC 8489 §9.2.4)
      if (classOf(m.type) === 3 && errorCode(m) === 438 && this.cred && !retried) {
        this.cred.nonce = Buffer.from(m.attrs.get(ATTR.nonce)!);
        return this.request(method, attrs, timeoutMs, true);
      }
      return m;
    });
  }
}
