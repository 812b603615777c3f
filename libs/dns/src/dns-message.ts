/**
 * DNS messages as a stub resolver sends and reads them (RFC 1035 §4.1), with EDNS0 (RFC 6891 §6)
 * and its DO bit (RFC 3225 §3), so that a DNSSEC-validating resolver returns its verdict in the
 * AD bit (RFC 4035 §3.2.3, RFC 6840 §5.7). Only what DANE for s2s needs is decoded: A, AAAA, CNAME,
 * SRV (RFC 2782), TLSA (RFC 6698 §2.1). Every read is bounds-checked: a truncated or hostile answer
 * is a `DnsFormatError`, never an exception of another kind, an endless loop or a huge allocation.
 */
export const RR = { A: 1, CNAME: 5, AAAA: 28, SRV: 33, OPT: 41, TLSA: 52 } as const;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export type DnsRecord =
  | { name: string; type: typeof RR.A | typeof RR.AAAA; ttl: number; address: string }
  | { name: string; type: typeof RR.CNAME; ttl: number; target: string }
  | { name: string; type: typeof RR.SRV; ttl: number; priority: number; weight: number; port: number; target: string }
  | { name: string; type: typeof RR.TLSA; ttl: number; usage: number; selector: number; matching: number; data: Buffer }
  | { name: string; type: number; ttl: number };

export interface DnsResponse {
  id: number;
  rcode: number;
  /** TC: the answer did not fit (RFC 1035 §4.1.1); ask again over TCP. */
  truncated: boolean;
  /** AD: the resolver validated every record in the answer and authority sections (RFC 4035 §3.2.3). */
  authenticData: boolean;
  question: { name: string; type: number } | undefined;
  answers: DnsRecord[];
}

export class DnsFormatError extends Error {}

/** RFC 1035 §2.3.4: a name is at most 255 octets; RFC 1035 §4.1.4 pointers only point backwards. */
const MAX_NAME = 255;

export interface QueryOptions {
  id: number;
  /** EDNS0 UDP payload size we can take (RFC 6891 §6.2.5). */
  udpPayloadBytes: number;
}

/** A query for one name and type: RD set (recursion by the resolver), EDNS0 with DO (RFC 3225). */
export function encodeQuery(name: string, type: number, opts: QueryOptions): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(opts.id, 0);
  header.writeUInt16BE(0x0100 | 0x0020, 2); // RD; AD in a query asks for the AD bit back (RFC 6840 §5.7)
  header.writeUInt16BE(1, 4); // QDCOUNT
  header.writeUInt16BE(1, 10); // ARCOUNT: the OPT record
  const question = Buffer.alloc(4);
  question.writeUInt16BE(type, 0);
  question.writeUInt16BE(1, 2); // IN
  const opt = Buffer.alloc(11);
  opt.writeUInt8(0, 0); // root
  opt.writeUInt16BE(RR.OPT, 1);
  opt.writeUInt16BE(opts.udpPayloadBytes, 3);
  opt.writeUInt32BE(0x0000_8000, 5); // extended RCODE 0, version 0, DO
  opt.writeUInt16BE(0, 9);
  return Buffer.concat([header, encodeName(name), question, opt]);
}

export function encodeName(name: string): Buffer {
  const trimmed = name.replace(/\.$/, '');
  if (trimmed === '') return Buffer.from([0]);
  const labels = trimmed.split('.').map((l) => Buffer.from(l, 'ascii'));
  for (const l of labels) if (l.length === 0 || l.length > 63) throw new DnsFormatError(`bad label in ${name}`);
  const out = Buffer.concat([...labels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])]);
  if (out.length > MAX_NAME) throw new DnsFormatError(`name too long: ${name}`);
  return out;
}

/** `maxRecords`: more answer records than this is refused (a resolver answering a TLSA query with thousands is not one to follow). */
export function decodeResponse(msg: Buffer, maxRecords: number): DnsResponse {
  if (msg.length < 12) throw new DnsFormatError('message shorter than a DNS header');
  const flags = msg.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw new DnsFormatError('not a response (QR is 0)');
  const [qd, an] = [msg.readUInt16BE(4), msg.readUInt16BE(6)];
  if (qd > 1) throw new DnsFormatError(`${qd} questions in a response to one`);
  if (an > maxRecords) throw new DnsFormatError(`${an} answer records (limit ${maxRecords})`);
  let at = 12;
  let question: DnsResponse['question'];
  if (qd === 1) {
    const q = readName(msg, at);
    need(msg, q.end, 4);
    question = { name: q.name, type: msg.readUInt16BE(q.end) };
    at = q.end + 4;
  }
  const answers: DnsRecord[] = [];
  for (let i = 0; i < an; i++) {
    const owner = readName(msg, at);
    need(msg, owner.end, 10);
    const type = msg.readUInt16BE(owner.end);
    const ttl = msg.readUInt32BE(owner.end + 4);
    const length = msg.readUInt16BE(owner.end + 8);
    const start = owner.end + 10;
    need(msg, start, length);
    // class is not checked: a stub asks IN only, and the resolver validated what it returns
    answers.push(readRecord(msg, owner.name, type, ttl, start, length));
    at = start + length;
  }
  return {
    id: msg.readUInt16BE(0),
    rcode: flags & 0x000f,
    truncated: (flags & 0x0200) !== 0,
    authenticData: (flags & 0x0020) !== 0,
    question,
    answers,
  };
}

function readRecord(msg: Buffer, name: string, type: number, ttl: number, start: number, length: number): DnsRecord {
  const rdata = msg.subarray(start, start + length);
  switch (type) {
    case RR.A:
      if (length !== 4) throw new DnsFormatError(`A record of ${length} octets`);
      return { name, type, ttl, address: [...rdata].join('.') };
    case RR.AAAA:
      if (length !== 16) throw new DnsFormatError(`AAAA record of ${length} octets`);
      return { name, type, ttl, address: ipv6(rdata) };
    case RR.CNAME:
      return { name, type, ttl, target: readNameWithin(msg, start, start + length) };
    case RR.SRV:
      if (length < 7) throw new DnsFormatError(`SRV record of ${length} octets`);
      return {
        name,
        type,
        ttl,
        priority: rdata.readUInt16BE(0),
        weight: rdata.readUInt16BE(2),
        port: rdata.readUInt16BE(4),
        target: readNameWithin(msg, start + 6, start + length),
      };
    case RR.TLSA:
      if (length < 3) throw new DnsFormatError(`TLSA record of ${length} octets`);
      return { name, type, ttl, usage: rdata[0]!, selector: rdata[1]!, matching: rdata[2]!, data: Buffer.from(rdata.subarray(3)) };
    default:
      return { name, type, ttl };
  }
}

/** A name inside RDATA: it may point outside (compression) but must start and end within it. */
function readNameWithin(msg: Buffer, start: number, end: number): string {
  const n = readName(msg, start);
  if (n.end > end) throw new DnsFormatError('name runs past its record');
  return n.name;
}

/**
 * RFC 1035 §4.1.4: labels, or a pointer to an earlier offset. Each pointer must go strictly
 * backwards, so a loop is impossible; the name's wire length is capped at 255. `end` is where the
 * name ends at its first position (after the first pointer, if any).
 */
export function readName(msg: Buffer, start: number): { name: string; end: number } {
  const labels: string[] = [];
  let at = start;
  let end = -1;
  let length = 1;
  let lowest = start;
  for (;;) {
    need(msg, at, 1);
    const len = msg[at]!;
    if (len === 0) {
      if (end < 0) end = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      need(msg, at, 2);
      const target = msg.readUInt16BE(at) & 0x3fff;
      if (target >= lowest) throw new DnsFormatError('compression pointer does not point backwards');
      if (end < 0) end = at + 2;
      lowest = target;
      at = target;
      continue;
    }
    if ((len & 0xc0) !== 0) throw new DnsFormatError('unknown label type');
    need(msg, at + 1, len);
    length += len + 1;
    if (length > MAX_NAME) throw new DnsFormatError('name longer than 255 octets');
    labels.push(msg.toString('latin1', at + 1, at + 1 + len).toLowerCase());
    at += 1 + len;
  }
  return { name: labels.join('.'), end };
}

function need(msg: Buffer, at: number, n: number): void {
  if (at + n > msg.length) throw new DnsFormatError('message truncated');
}

function ipv6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':');
}
