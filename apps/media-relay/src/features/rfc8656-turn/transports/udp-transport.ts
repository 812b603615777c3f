import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { ClientLink } from '../allocation.js';
import type { TransportAddress } from '../stun-attributes.js';

/**
 * STUN/TURN over UDP (RFC 8656 §3.1): one socket; each datagram is one STUN message or one
 * ChannelData message, and the client's 5-tuple is its source address with this socket.
 */
export class UdpTransport {
  private socket: Socket | undefined;
  private local: TransportAddress | undefined;
  private readonly links = new Map<string, ClientLink>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onPacket: (buf: Buffer, link: ClientLink) => void,
    private readonly onError: (err: Error) => void,
    /** SO_RCVBUF and SO_SNDBUF (media.turn.udpBufferBytes). */
    private readonly bufferBytes: number,
    /** Client links kept for reuse; past this the cache starts over (it only saves allocations). */
    private readonly maxCachedLinks = 10_000,
  ) {}

  async start(): Promise<number> {
    const socket = createSocket({ type: this.host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: this.bufferBytes, sendBufferSize: this.bufferBytes });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: this.host, port: this.port }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', this.onError);
    const addr = socket.address();
    this.local = { family: addr.family === 'IPv6' ? 6 : 4, address: addr.address, port: addr.port };
    socket.on('message', (buf, rinfo) => this.onPacket(buf, this.link(rinfo)));
    return addr.port;
  }

  private link(rinfo: RemoteInfo): ClientLink {
    const key = `${rinfo.address}|${rinfo.port}`;
    let link = this.links.get(key);
    if (link) return link;
    if (this.links.size >= this.maxCachedLinks) this.links.clear();
    const socket = this.socket!;
    const address = rinfo.address.replace(/^::ffff:/i, '');
    link = {
      transport: 'udp',
      remote: { family: address.includes(':') ? 6 : 4, address, port: rinfo.port },
      local: this.local!,
      fiveTuple: `udp|${key}|${this.local!.address}|${this.local!.port}`,
      stream: false,
      // a callback keeps a failed send a lost datagram instead of a socket 'error'
      send: (chunks) => socket.send(chunks, rinfo.port, rinfo.address, ignoreSendError),
    };
    this.links.set(key, link);
    return link;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket) return resolve();
      this.socket.close(() => resolve());
      this.socket = undefined;
    });
  }
}

const ignoreSendError = (): void => {};
