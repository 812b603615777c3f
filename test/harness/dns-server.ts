import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/**
 * A small authoritative DNS server on a free loopback UDP port (RFC 1035 §4 messages; SRV RFC
 * 2782), for federation tests whose peers resolve the Glider domain themselves: ejabberd's outbound
 * s2s asks DNS only (`inet_res`), never a hosts file. Answers A and SRV records from its table
 * (the test's own domains, so nothing is made up for a name it does not know: NXDOMAIN), NODATA
 * for another type of a known name. Names compare case-insensitively.
 */
export interface DnsRecords {
  /** name → IPv4 address */
  a?: Record<string, string>;
  /** name (e.g. `_xmpp-server._tcp.a.test`) → targets */
  srv?: Record<string, { priority?: number; weight?: number; port: number; target: string }[]>;
}

export interface DnsServer {
  host: string;
  port: number;
  /** Questions asked so far, as `<type> <name>` (A, AAAA, SRV, or the number). */
  asked: string[];
  stop(): Promise<void>;
}

const TYPE = { A: 1, AAAA: 28, SRV: 33 } as const;
const TYPE_NAME: Record<number, string> = { 1: 'A', 28: 'AAAA', 33: 'SRV' };
const TTL = 60;

export async function startDnsServer(records: DnsRecords, host = '127.0.0.1'): Promise<DnsServer> {
  const a = lower(records.a ?? {});
  const srv = lower(records.srv ?? {});
  const asked: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (msg: Buffer, from: RemoteInfo) => {
    const reply = answer(msg, a, srv, asked);
    if (reply) socket.send(reply, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => resolve());
  });
  return {
    host,
    port: socket.address().port,
    asked,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function lower<T>(table: Record<string, T>): Map<string, T> {
  return new Map(Object.entries(table).map(([k, v]) => [k.toLowerCase().replace(/\.$/, ''), v]));
}

function answer(msg: Buffer, a: Map<string, string>, srv: Map<string, NonNullable<DnsRecords['srv']>[string]>, asked: string[]): Buffer | undefined {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined; // one question, as every resolver asks
  const q = readName(msg, 12);
  if (!q || q.end + 4 > msg.length) return undefined;
  const type = msg.readUInt16BE(q.end);
  const name = q.name.toLowerCase();
  asked.push(`${TYPE_NAME[type] ?? type} ${name}`);
  const question = msg.subarray(12, q.end + 4);
  const known = a.has(name) || srv.has(name);
  const rrs: Buffer[] = [];
  if (type === TYPE.A && a.has(name)) rrs.push(rr(TYPE.A, Buffer.from(a.get(name)!.split('.').map(Number))));
  if (type === TYPE.SRV)
    for (const t of srv.get(name) ?? []) {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(t.priority ?? 0, 0);
      head.writeUInt16BE(t.weight ?? 0, 2);
      head.writeUInt16BE(t.port, 4);
      rrs.push(rr(TYPE.SRV, Buffer.concat([head, encodeName(t.target)])));
    }
  const header = Buffer.alloc(12);
  header.writeUInt16BE(msg.readUInt16BE(0), 0);
  // QR, AA, RD copied from the query, RA (a forwarding resolver such as libunbound wants it);
  // RCODE 3 (NXDOMAIN) for a name we do not serve
  header.writeUInt16BE(0x8480 | (msg.readUInt16BE(2) & 0x0100) | (known ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rrs.length, 6);
  return Buffer.concat([header, question, ...rrs]);
}

/** One answer record whose owner is the question's name (a pointer to offset 12). */
function rr(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(TTL, 6);
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

function encodeName(name: string): Buffer {
  const labels = name.replace(/\.$/, '').split('.');
  return Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])]);
}

/** A question's name (no compression in questions). */
function readName(msg: Buffer, at: number): { name: string; end: number } | undefined {
  const labels: string[] = [];
  for (let i = at; i < msg.length;) {
    const len = msg[i]!;
    if (len === 0) return { name: labels.join('.'), end: i + 1 };
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.toString('ascii', i + 1, i + 1 + len));
    i += 1 + len;
  }
  return undefined;
}
