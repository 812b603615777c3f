import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { connect as connectTcp } from 'node:net';
import { decodeResponse, DnsFormatError, encodeQuery, type DnsRecord, type DnsResponse } from './dns-message.js';

/**
 * A stub resolver client for one configured recursive resolver (Node's `dns` module cannot show
 * the AD bit): a query over UDP (RFC 1035 §4.2.1), again over TCP when the answer is truncated
 * (RFC 7766 §5), with EDNS0 and DO so that a validating resolver says whether it validated
 * (RFC 4035 §3.2.3). The AD bit is only worth what the path to the resolver is worth (RFC 4035
 * §4.9.3): the resolver is meant to be on the same host or pod, or on a trusted
 * link. Answers are matched on id, question and source (a connected UDP socket); anything else is
 * dropped and the query times out.
 */
export interface DnsClientOptions {
  /** `host:port` or `[v6]:port` of the validating resolver. */
  resolver: string;
  /** One attempt over UDP or TCP. */
  timeoutMs: number;
  /** UDP attempts before giving up (a lost datagram is retried). */
  tries: number;
  /** EDNS0 payload size offered (RFC 6891 §6.2.5; 1232 avoids fragmentation). */
  udpPayloadBytes: number;
  /** The largest TCP answer read; past it the query fails. */
  maxResponseBytes: number;
  /** Answer records per response; past it the query fails. */
  maxRecords: number;
}

export interface DnsAnswer {
  rcode: number;
  /** The resolver set AD: every record of the answer was validated. */
  secure: boolean;
  /** Records of the type asked for, at the name asked for or at the end of its CNAME chain. */
  records: DnsRecord[];
}

export class DnsTimeoutError extends Error {}

export class DnsClient {
  private readonly host: string;
  private readonly port: number;

  constructor(private readonly opts: DnsClientOptions) {
    const parsed = parseResolver(opts.resolver);
    this.host = parsed.host;
    this.port = parsed.port;
  }

  async query(name: string, type: number): Promise<DnsAnswer> {
    const qname = name.toLowerCase().replace(/\.$/, '');
    let res: DnsResponse | undefined;
    let lastErr: Error = new DnsTimeoutError(`no answer from ${this.opts.resolver} for ${qname}`);
    for (let i = 0; i < this.opts.tries && !res; i++) {
      try {
        res = await this.udp(qname, type);
      } catch (err) {
        lastErr = err as Error;
        if (!(err instanceof DnsTimeoutError)) break;
      }
    }
    if (!res) throw lastErr;
    if (res.truncated) res = await this.tcp(qname, type);
    return { rcode: res.rcode, secure: res.authenticData, records: recordsFor(qname, type, res.answers) };
  }

  private udp(qname: string, type: number): Promise<DnsResponse> {
    const id = randomInt(0, 0x10000);
    const query = encodeQuery(qname, type, { id, udpPayloadBytes: this.opts.udpPayloadBytes });
    const socket = createSocket(isIPv6(this.host) ? 'udp6' : 'udp4');
    return new Promise<DnsResponse>((resolve, reject) => {
      let finished = false;
      const done = (err: Error | undefined, res?: DnsResponse): void => {
        if (finished) return; // a late datagram or error after the timeout: the socket is closed once
        finished = true;
        clearTimeout(timer);
        socket.close();
        if (err) reject(err);
        else resolve(res!);
      };
      const timer = setTimeout(
        () => done(new DnsTimeoutError(`${this.opts.resolver} did not answer ${qname} in ${this.opts.timeoutMs} ms`)),
        this.opts.timeoutMs,
      );
      socket.on('error', (err) => done(err));
      socket.on('message', (msg) => {
        const res = this.accept(msg, id, qname, type);
        if (res instanceof Error) return done(res);
        if (res) done(undefined, res);
      });
      socket.connect(this.port, this.host, () => socket.send(query));
    });
  }

  private tcp(qname: string, type: number): Promise<DnsResponse> {
    const id = randomInt(0, 0x10000);
    const query = encodeQuery(qname, type, { id, udpPayloadBytes: this.opts.udpPayloadBytes });
    const framed = Buffer.concat([Buffer.from([query.length >> 8, query.length & 0xff]), query]);
    return new Promise<DnsResponse>((resolve, reject) => {
      const socket = connectTcp({ host: this.host, port: this.port });
      const chunks: Buffer[] = [];
      let received = 0;
      let finished = false;
      const done = (err: Error | undefined, res?: DnsResponse): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        socket.destroy();
        if (err) reject(err);
        else resolve(res!);
      };
      const timer = setTimeout(
        () => done(new DnsTimeoutError(`${this.opts.resolver} did not answer ${qname} over TCP in ${this.opts.timeoutMs} ms`)),
        this.opts.timeoutMs,
      );
      socket.on('error', (err) => done(err));
      socket.on('connect', () => socket.write(framed));
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > this.opts.maxResponseBytes + 2) return done(new DnsFormatError(`TCP answer larger than ${this.opts.maxResponseBytes} bytes`));
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        if (all.length < 2) return;
        const length = all.readUInt16BE(0);
        if (length > this.opts.maxResponseBytes) return done(new DnsFormatError(`TCP answer of ${length} bytes (limit ${this.opts.maxResponseBytes})`));
        if (all.length < 2 + length) return;
        const res = this.accept(all.subarray(2, 2 + length), id, qname, type);
        done(res instanceof Error ? res : res ? undefined : new DnsFormatError('TCP answer to another query'), res instanceof Error ? undefined : res);
      });
      socket.on('end', () => done(new DnsFormatError(`${this.opts.resolver} closed the TCP connection before a whole answer`)));
    });
  }

  /** The response to our query, an Error when it is malformed, undefined when it answers another one (ignored). */
  private accept(msg: Buffer, id: number, qname: string, type: number): DnsResponse | Error | undefined {
    if (msg.length >= 2 && msg.readUInt16BE(0) !== id) return undefined;
    try {
      const res = decodeResponse(msg, this.opts.maxRecords);
      if (!res.question || res.question.name !== qname || res.question.type !== type) return undefined;
      return res;
    } catch (err) {
      return err instanceof DnsFormatError ? err : new DnsFormatError((err as Error).message);
    }
  }
}

/** The records answering (qname, type): at qname, or along its CNAME chain (RFC 1034 §3.6.2), at most 8 links. */
export function recordsFor(qname: string, type: number, answers: DnsRecord[]): DnsRecord[] {
  let name = qname;
  for (let hops = 0; hops < 8; hops++) {
    const direct = answers.filter((r) => r.type === type && r.name === name);
    if (direct.length > 0) return direct;
    const alias = answers.find((r): r is Extract<DnsRecord, { target: string }> => r.type === 5 && r.name === name && 'target' in r);
    if (!alias) return [];
    name = alias.target;
  }
  return [];
}

export function parseResolver(spec: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(spec) ?? /^([^\s:[\]]+):(\d{1,5})$/.exec(spec);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new Error(`resolver must be host:port or [v6]:port, got ${JSON.stringify(spec)}`);
  return { host: m[1]!, port };
}
